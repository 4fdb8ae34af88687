import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type CliResult, runCli, runCliAsync, swegateBin } from "../cli/test-support/run-cli.js";
import { openStore } from "../store/open-store.js";
import { commitFiles, makeGitRepo } from "../workspace/test-support/make-git-repo.js";
import { newFileDiff } from "../workspace/test-support/new-file-diff.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-interrupt-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

/**
 * Processes whose working folder is under `dir` (the run's checkouts). The test's own pid cannot be
 * used: the host backend runs tests in a PID namespace of their own, where pids mean nothing outside.
 */
const processesIn = (dir: string) =>
  readdirSync("/proc").filter((entry) => {
    try {
      return /^\d+$/.test(entry) && readlinkSync(`/proc/${entry}/cwd`).startsWith(dir);
    } catch {
      return false;
    }
  });

interface Interrupted {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Pid of the slow test that was blocked when Ctrl-C came. */
  testPid: number;
}

/**
 * Runs the CLI with `args`; once the slow test has written its pid (it then waits on the hold file),
 * calls `whenBlocked`, then sends SIGINT, as Ctrl-C would. Resolves when the CLI has exited.
 */
function interruptWhenBlocked(
  args: string[],
  pidFile: string,
  options: { env?: Record<string, string>; whenBlocked?: () => Promise<void> } = {},
): Promise<Interrupted> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [swegateBin, ...args], {
      env: { ...process.env, SWEGATE_FROM_SOURCE: "1", ...options.env },
    });
    let stdout = "";
    let stderr = "";
    let testPid = 0;
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const poll = setInterval(() => {
      if (!existsSync(pidFile)) return;
      testPid = Number(readFileSync(pidFile, "utf8"));
      if (!testPid) return;
      clearInterval(poll);
      void (options.whenBlocked?.() ?? Promise.resolve()).then(() => child.kill("SIGINT"));
    }, 50);
    child.on("close", (code) => {
      clearInterval(poll);
      resolve({ code, stdout, stderr, testPid });
    });
  });
}

/**
 * A repository `acme/slow` with a bug in double(), and three instances on it: quick-1, slow-1 (its
 * test writes its pid, then waits while the `hold` file exists) and quick-2.
 */
let built: ReturnType<typeof makeDataset> | undefined;
const buildDataset = () => {
  built ??= makeDataset();
  return built;
};

function makeDataset() {
  const repos = join(scratch, "repos");
  const hold = join(scratch, "hold");
  const pidFile = join(scratch, "slow-test.pid");
  const repo = join(repos, "acme+slow");
  mkdirSync(repo, { recursive: true });
  const { commit } = makeGitRepo(
    { "lib.py": "def double(x):\n    return x + x + 1\n", "tests/__init__.py": "" },
    repo,
  );
  const gold = [
    "diff --git a/lib.py b/lib.py",
    "--- a/lib.py",
    "+++ b/lib.py",
    "@@ -1,2 +1,2 @@",
    " def double(x):",
    "-    return x + x + 1",
    "+    return x + x",
    "",
  ].join("\n");
  const testPatch = (file: string, body: string[]) => newFileDiff(`tests/${file}`, body);
  const row = (id: string, file: string, body: string[]) => ({
    repo: "acme/slow",
    instance_id: `acme__slow-${id}`,
    base_commit: commit,
    patch: gold,
    test_patch: testPatch(file, body),
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
    "import os, time",
    "from lib import double",
    "",
    "def test_double():",
    `    open(${JSON.stringify(pidFile)}, "w").write(str(os.getpid()))`,
    `    while os.path.exists(${JSON.stringify(hold)}):`,
    "        time.sleep(0.05)",
    "    assert double(3) == 6",
  ];
  const dataset = join(scratch, "slow.jsonl");
  writeFileSync(
    dataset,
    [row("1", "test_quick1.py", quick), row("2", "test_slow.py", slow), row("3", "test_quick3.py", quick)]
      .map((item) => JSON.stringify(item))
      .join("\n"),
  );
  commitFiles(repo, { "README.md": "acme\n" }, "a later commit");
  return { dataset, hold, pidFile, repoUrl: join(repos, "{owner}+{name}") };
}

describe("Ctrl-C during a run", () => {
  it("stops the test run in flight, keeps what finished, leaves the interrupted instance to the resume, and says how", async () => {
    const { dataset, hold, pidFile, repoUrl } = buildDataset();
    writeFileSync(hold, "");
    const storeDir = join(scratch, "store");
    const common = ["--cache-dir", join(scratch, "cache"), "--store", storeDir, "--repo-url", repoUrl];
    const args = ["run", dataset, "--model", "oracle", "--run-id", "ctrl-c", "--json", "--workers", "1"];
    let secondTry: CliResult | undefined;
    // While the slow instance's red gate is in its test, a second process trying the same run is
    // refused; Ctrl-C follows.
    const interrupted = await interruptWhenBlocked([...args, ...common], pidFile, {
      env: { XDG_CONFIG_HOME: join(scratch, "config") },
      whenBlocked: async () => {
        secondTry = await runCliAsync(["run", "--resume", "ctrl-c", "--json", ...common], {
          env: { XDG_CONFIG_HOME: join(scratch, "config") },
        });
      },
    });
    expect(interrupted.testPid, interrupted.stderr).toBeGreaterThan(0);
    expect(secondTry?.code, secondTry?.stderr).toBe(2);
    expect(secondTry?.stderr).toMatch(/run ctrl-c is being run by process \d+ on .*wait for it to end/);
    expect(interrupted.code, interrupted.stderr).toBe(130);
    expect(interrupted.stderr).toContain("SIGINT: stopping");
    expect(interrupted.stderr).toContain(`finish it with: swegate run --resume ctrl-c --store ${storeDir}`);
    // The test process went with the run (the hold file is still there: it would have waited forever).
    for (let waited = 0; waited < 100 && processesIn(scratch).length > 0; waited++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(processesIn(scratch)).toEqual([]);
    const events = interrupted.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    // Its red gate's log was cut short: no verdict is announced for it.
    expect(
      events.filter((event) => event.type === "gate-end" && event.instanceId === "acme__slow-2"),
    ).toEqual([]);
    expect(events.filter((event) => event.type === "instance-abandoned")).toEqual([
      { type: "instance-abandoned", instanceId: "acme__slow-2" },
    ]);
    let store = openStore(storeDir);
    expect(store.getRun("ctrl-c")?.status).toBe("interrupted");
    const before = store.getInstanceResults("ctrl-c");
    store.close();
    // quick-1 finished and is kept; slow-2 was cut short and has no result; quick-3 never started.
    expect(before.map((result) => [result.instance_id, result.status])).toEqual([
      ["acme__slow-1", "verified"],
    ]);

    expect(runCli(["show", "ctrl-c", "--store", storeDir]).stdout).toContain(
      `1 of 3 instances have a result; finish it with: swegate run --resume ctrl-c --store ${storeDir}`,
    );

    rmSync(hold);
    const resumed = runCli(["run", "--resume", "ctrl-c", "--json", ...common], {
      env: { XDG_CONFIG_HOME: join(scratch, "config") },
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    store = openStore(storeDir);
    const after = store.getInstanceResults("ctrl-c");
    expect(store.getRun("ctrl-c")?.status).toBe("completed");
    store.close();
    expect(after.map((result) => [result.instance_id, result.status]).sort()).toEqual([
      ["acme__slow-1", "verified"],
      ["acme__slow-2", "verified"],
      ["acme__slow-3", "verified"],
    ]);
    expect(after.find((result) => result.instance_id === "acme__slow-1")?.finished_at).toBe(
      before[0]?.finished_at,
    );
  }, 180_000);

  it("validate records no health verdict for an instance whose gates were cut short", async () => {
    const { dataset, hold, pidFile, repoUrl } = buildDataset();
    rmSync(pidFile, { force: true });
    writeFileSync(hold, "");
    const storeDir = join(scratch, "validate-store");
    const args = ["validate", dataset, "--instances", "acme__slow-2", "--json"];
    const common = ["--cache-dir", join(scratch, "cache"), "--store", storeDir, "--repo-url", repoUrl];
    const stopped = await interruptWhenBlocked([...args, ...common], pidFile);
    rmSync(hold);
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stdout).toBe("");
    expect(stopped.stderr).toContain("not recorded in the health registry");
    expect(stopped.stderr).toContain("0 instance(s) checked and recorded, 1 stopped unrecorded");
    const store = openStore(storeDir);
    expect(store.listHealth()).toEqual([]);
    store.close();
  }, 120_000);

  it("eval writes no report.json for a prediction cut short, and the same command finishes it", async () => {
    const { dataset, hold, pidFile, repoUrl } = buildDataset();
    rmSync(pidFile, { force: true });
    writeFileSync(hold, "");
    const output = join(scratch, "eval-output");
    const args = [
      "eval",
      dataset,
      "--predictions",
      "gold",
      "--instances",
      "acme__slow-2",
      "--output-dir",
      output,
    ];
    const common = ["--cache-dir", join(scratch, "cache"), "--repo-url", repoUrl];
    const stopped = await interruptWhenBlocked([...args, ...common], pidFile);
    const reports = () =>
      existsSync(output)
        ? readdirSync(output, { recursive: true }).filter((path) => String(path).endsWith("report.json"))
        : [];
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toContain("eval interrupted: no summary written");
    expect(reports()).toEqual([]);
    rmSync(hold);
    const finished = runCli([...args, ...common, "--json"]);
    expect(finished.code, finished.stderr).toBe(0);
    expect(JSON.parse(finished.stdout)).toMatchObject({ resolved_instances: 1, error_instances: 0 });
    expect(reports()).toHaveLength(1);
  }, 120_000);
});
