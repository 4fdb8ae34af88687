import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { swegateBin } from "../cli/test-support/run-cli.js";
import { makeGitRepo } from "../workspace/test-support/make-git-repo.js";
import { newNonce } from "./test-script.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-held-pipe-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** Pids of processes (not this one) whose command line holds `tag`, read from /proc (not pgrep -f). */
function processesWithTag(tag: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .filter((entry) => {
      try {
        return readFileSync(`/proc/${entry}/cmdline`, "latin1").includes(tag);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it("stops at the first SIGTERM a validate whose test left a setsid'd process holding the output pipe", async () => {
  const tag = `swegate-held-${newNonce()}`;
  // The test starts a sleeper in a session of its own that holds the run's output (a socket from
  // Node; pytest keeps a copy of its real stdout while it captures fd 1), then waits for ever.
  const testBody = [
    "import os, stat, subprocess, time",
    "",
    "def test_double():",
    "    out = [fd for fd in range(3, 64) if is_socket(fd)][0]",
    `    subprocess.Popen(["setsid", "bash", "-c", "exec -a ${tag} sleep 1000"], stdout=out, stderr=out)`,
    "    time.sleep(1000)",
    "",
    "def is_socket(fd):",
    "    try:",
    "        return stat.S_ISSOCK(os.fstat(fd).st_mode)",
    "    except OSError:",
    "        return False",
  ];
  const repos = join(scratch, "repos");
  const repo = join(repos, "acme+held");
  mkdirSync(repo, { recursive: true });
  const { commit } = makeGitRepo(
    { "lib.py": "def double(x):\n    return x + x\n", "tests/__init__.py": "" },
    repo,
  );
  const testPatch = [
    "diff --git a/tests/test_held.py b/tests/test_held.py",
    "new file mode 100644",
    "--- /dev/null",
    "+++ b/tests/test_held.py",
    `@@ -0,0 +1,${testBody.length} @@`,
    ...testBody.map((line) => `+${line}`),
    "",
  ].join("\n");
  const dataset = join(scratch, "held.jsonl");
  writeFileSync(
    dataset,
    JSON.stringify({
      repo: "acme/held",
      instance_id: "acme__held-1",
      base_commit: commit,
      patch: "",
      test_patch: testPatch,
      problem_statement: "never mind",
      hints_text: "",
      created_at: "2026-01-01T00:00:00Z",
      version: "1.0",
      FAIL_TO_PASS: JSON.stringify(["tests/test_held.py::test_double"]),
      PASS_TO_PASS: "[]",
      environment_setup_commit: commit,
    }),
  );
  const args = ["validate", dataset, "--json", "--timeout", "600"];
  const common = ["--cache-dir", join(scratch, "cache"), "--store", join(scratch, "store")];
  const child = spawn(
    process.execPath,
    [swegateBin, ...args, ...common, "--repo-url", join(repos, "{owner}+{name}")],
    { env: { ...process.env, SWEGATE_FROM_SOURCE: "1" }, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  try {
    for (let waited = 0; waited < 1200 && processesWithTag(tag).length === 0; waited++) await sleep(50);
    expect(processesWithTag(tag), stderr).not.toEqual([]);
    const signalled = Date.now();
    child.kill("SIGTERM");
    const code = await Promise.race([exited, sleep(15_000).then(() => "still running")]);
    expect(code, stderr).toBe(143);
    expect(Date.now() - signalled).toBeLessThan(15_000);
    expect(stderr).toContain("SIGTERM: stopping");
    expect(stderr).not.toContain("again: quitting now");
    for (let waited = 0; waited < 20 && processesWithTag(tag).length > 0; waited++) await sleep(50);
    expect(processesWithTag(tag)).toEqual([]);
  } finally {
    // On a failure, nothing of this test is left behind (the CLI, the sleeper it could not end).
    child.kill("SIGKILL");
    for (const pid of processesWithTag(tag)) process.kill(pid, "SIGKILL");
  }
}, 120_000);
