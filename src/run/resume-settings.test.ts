import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli, runCliAsync, swegateBin } from "../cli/test-support/run-cli.js";
import { answerJson, serveJson } from "../model/test-support/serve-json.js";
import { openStore } from "../store/open-store.js";
import { makeGitRepo } from "../workspace/test-support/make-git-repo.js";
import { newFileDiff } from "../workspace/test-support/new-file-diff.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-resume-settings-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));
const env = { XDG_CONFIG_HOME: join(scratch, "config") };

let built: ReturnType<typeof makeDataset> | undefined;
const buildDataset = () => {
  built ??= makeDataset();
  return built;
};

/** `acme/slow` with a bug in double(): quick-1 and quick-3 test it at once, slow-2's test first sleeps 20 s. */
function makeDataset() {
  const repo = join(scratch, "repos", "acme+slow");
  mkdirSync(repo, { recursive: true });
  const { commit } = makeGitRepo(
    { "lib.py": "def double(x):\n    return x + x + 1\n", "tests/__init__.py": "" },
    repo,
  );
  const test = (file: string, body: string[]) => newFileDiff(`tests/${file}`, body);
  const row = (id: string, file: string, body: string[]) => ({
    repo: "acme/slow",
    instance_id: `acme__slow-${id}`,
    base_commit: commit,
    patch: "",
    test_patch: test(file, body),
    problem_statement: "double(2) returns 5 instead of 4.",
    hints_text: "",
    created_at: "2026-01-01T00:00:00Z",
    version: "1.0",
    FAIL_TO_PASS: JSON.stringify([`tests/${file}::test_double`]),
    PASS_TO_PASS: "[]",
    environment_setup_commit: commit,
  });
  const quick = ["from lib import double", "", "def test_double():", "    assert double(2) == 4"];
  const slow = [
    "import time",
    "from lib import double",
    "",
    "def test_double():",
    "    time.sleep(20)",
    "    assert double(3) == 6",
  ];
  const dataset = join(scratch, "slow.jsonl");
  writeFileSync(
    dataset,
    [row("1", "test_quick1.py", quick), row("2", "test_slow.py", slow), row("3", "test_quick3.py", quick)]
      .map((item) => JSON.stringify(item))
      .join("\n"),
  );
  return { dataset, repoUrl: join(scratch, "repos", "{owner}+{name}") };
}

/** Runs the CLI and SIGKILLs it once the first instance has ended (as a crash or `kill -9` would). */
function killAfterFirstInstance(args: string[]): Promise<string[]> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [swegateBin, ...args], {
      env: { ...process.env, ...env, SWEGATE_FROM_SOURCE: "1" },
    });
    const ended: string[] = [];
    let buffer = "";
    child.stdout.on("data", (chunk) => {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        const event = JSON.parse(line);
        if (event.type !== "instance-end") continue;
        ended.push(event.result.instance_id);
        child.kill("SIGKILL");
      }
    });
    child.on("close", () => resolve(ended));
  });
}

describe("a run is what it was started with", () => {
  it("a resume with no flags runs with the stored attempts, timeout, backend and model endpoint; a flag that contradicts them is refused", async () => {
    const { dataset, repoUrl } = buildDataset();
    // A model that never edits: every attempt is used, so attempts_made shows max_attempts.
    const server = await serveJson((_seen, response) =>
      answerJson(response, 200, {
        choices: [{ message: { role: "assistant", content: "no edits" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 10, completion_tokens: 2 },
      }),
    );
    const storeDir = join(scratch, "store");
    const where = ["--store", storeDir, "--cache-dir", join(scratch, "cache"), "--repo-url", repoUrl];
    const model = ["--model", "openai-compatible:never-edits", "--base-url", `${server.origin}/v1`];
    try {
      const ended = await killAfterFirstInstance([
        "run",
        dataset,
        ...model,
        "--backend",
        "host",
        "--max-attempts",
        "2",
        "--timeout",
        "7",
        "--run-id",
        "started",
        "--workers",
        "1",
        "--json",
        ...where,
      ]);
      expect(ended).toEqual(["acme__slow-1"]);
      let store = openStore(storeDir);
      expect(store.getRun("started")?.config).toMatchObject({ max_attempts: 2, timeout: 7, backend: "host" });
      expect(store.getInstanceResults("started")).toHaveLength(1);
      store.close();

      // Explicit flags that contradict the run: one line each, naming the stored value; nothing runs.
      const refusals: [string[], string][] = [
        [
          ["--resume", "started", "--max-attempts", "6"],
          "swegate: --max-attempts=6 contradicts run started, started with max_attempts 2 (drop the flag to resume as started)",
        ],
        [
          ["--resume", "started", "--timeout", "1800"],
          "swegate: --timeout=1800 contradicts run started, started with timeout 7 (drop the flag to resume as started)",
        ],
        [
          ["--resume", "started", "--backend", "isolated"],
          "swegate: --backend=isolated contradicts run started, started with backend host (drop the flag to resume as started)",
        ],
        [
          ["--run-id", "started", "--model", "openai-compatible:other"],
          "swegate: --model=openai-compatible:other contradicts run started, started with model openai-compatible:never-edits (drop the flag to finish the run as started, or choose another --run-id)",
        ],
      ];
      for (const [flags, line] of refusals) {
        const refused = runCli(["run", ...flags, "--json", ...where], { env });
        expect(refused.code, refused.stderr).toBe(2);
        expect(refused.stderr.trim().split("\n")).toEqual([line]);
      }
      expect(server.seen).toHaveLength(2);

      // No flags at all: not even the model's endpoint, which the run recorded.
      const resumed = await runCliAsync(["run", "--resume", "started", "--json", ...where], { env });
      expect(resumed.code, resumed.stderr).toBe(0);
      store = openStore(storeDir);
      const results = new Map(
        store.getInstanceResults("started").map((result) => [result.instance_id, result]),
      );
      expect(store.getRun("started")?.status).toBe("completed");
      store.close();
      // The stored 7 s, not the default 1800 s, cut the slow test; the stored 2 attempts, not 6, were made.
      expect(results.get("acme__slow-2")).toMatchObject({
        status: "env_broken",
        red_gate_message: "env_broken (timeout after 7 s)",
      });
      expect(results.get("acme__slow-3")).toMatchObject({ status: "failed", attempts_made: 2 });
      expect(results.get("acme__slow-3")?.environment?.backend).toBe("host");
      expect(server.seen).toHaveLength(4);
    } finally {
      await server.close();
    }
  }, 180_000);

  it("--run-id of an existing run refuses another dataset, naming both digests", () => {
    const storeDir = join(scratch, "dataset-store");
    const where = ["--store", storeDir, "--cache-dir", join(scratch, "cache"), "--json"];
    const first = runCli(
      [
        "run",
        "--model",
        "oracle",
        "--instances",
        "swegate-demo__already-1",
        "--run-id",
        "demo-run",
        ...where,
      ],
      { env },
    );
    expect(first.code, first.stderr).toBe(0);
    const { dataset } = buildDataset();
    const other = runCli(["run", dataset, "--run-id", "demo-run", ...where], { env });
    expect(other.code).toBe(2);
    expect(other.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(
        /^swegate: dataset \S+slow\.jsonl \(sha256 [0-9a-f]{12}\) contradicts run demo-run, started with dataset demo \(sha256 [0-9a-f]{12}\) \(leave the dataset out to finish run demo-run on its own\)$/,
      ),
    ]);

    // The run's own file, changed since it started: refused, naming both digests.
    const store = openStore(storeDir);
    const now = new Date().toISOString();
    store.createRun({
      run_id: "changed",
      created_at: now,
      updated_at: now,
      status: "interrupted",
      model: "oracle",
      mode: "oracle",
      dataset_source: dataset,
      dataset_digest: "0123456789ab".padEnd(64, "0"),
      selection: ["acme__slow-1"],
      config: {},
      swegate_version: "test",
      owner: null,
    });
    store.close();
    const changed = runCli(["run", "--resume", "changed", ...where], { env });
    expect(changed.code).toBe(2);
    expect(changed.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(
        /^swegate: dataset \S+slow\.jsonl changed since run changed started \(sha256 0123456789ab then, [0-9a-f]{12} now\) \(put the file back as it was, or start a new run\)$/,
      ),
    ]);
  }, 120_000);

  it("refuses run ids that are paths, before anything is written", () => {
    const storeDir = join(scratch, "names-store");
    for (const flag of ["--run-id", "--resume"]) {
      const refused = runCli(["run", "--model", "oracle", flag, "../../escaped", "--store", storeDir], {
        env,
      });
      expect(refused.code).toBe(2);
      expect(refused.stderr.trim().split("\n")).toEqual([
        `swegate: ${flag}=../../escaped: run id "../../escaped" contains a path separator (/ or \\) (give a plain name such as my-run-1)`,
      ]);
    }
    const plan = join(scratch, "plan.yaml");
    writeFileSync(plan, "phases:\n  - { name: one, size: 1, target: 0.5 }\n");
    const ramp = runCli(["ramp", plan, "--ramp-id", "../escaped", "--store", storeDir], { env });
    expect(ramp.code).toBe(2);
    expect(ramp.stderr.trim().split("\n")).toEqual([
      `swegate: --ramp-id=../escaped: run id "../escaped-one" contains a path separator (/ or \\) (give a plain name such as my-run-1)`,
    ]);
    expect(existsSync(join(scratch, "escaped"))).toBe(false);
  });
});
