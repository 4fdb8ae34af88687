import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Backend } from "../exec/backend.js";
import type { TestStatus } from "../grading/test-status.js";
import { applyPatch, resetToBase } from "../workspace/apply-patch.js";
import { listPatchFiles } from "../workspace/list-patch-files.js";
import type { Checker, CheckOutcome } from "./run-attempt-loop.js";

const run = promisify(execFile);

/** Runs the repository's own test files (never the hidden test_patch) and returns statuses per test. */
export type VisibleTestRunner = (
  dir: string,
  testFiles: string[],
) => Promise<{ statuses: Map<string, TestStatus>; log: string; timedOut: boolean }>;

export interface BlindCheckerOptions {
  backend: Backend;
  /** The instance's base commit (existing tests are also run there, to tell regressions apart). */
  baseCommit: string;
  /** Seconds per command. */
  timeoutSeconds: number;
  /** Runs existing tests; without it only syntax and reproduction scripts are checked. */
  runVisibleTests?: VisibleTestRunner;
  /** Most existing test files run per check. */
  maxTestFiles?: number;
}

const FAILING: ReadonlySet<TestStatus> = new Set(["FAILED", "ERROR"]);

/**
 * Blind (leaderboard-valid) checks: only what a developer has — syntax of the changed files, the
 * model's own reproduction script if it wrote one (`reproduce*.py`), and the repository's existing
 * tests that cover the changed modules, compared with their result at base. The hidden F2P/P2P
 * tests and the test_patch are never run here.
 */
export function createBlindChecker(options: BlindCheckerOptions): Checker {
  const baseline = new Map<string, Map<string, TestStatus>>();
  return async ({ dir, patch }): Promise<CheckOutcome> => {
    const changed = listPatchFiles(patch).filter((file) => file.status !== "deleted");
    const python = changed.filter((file) => file.path.endsWith(".py")).map((file) => file.path);
    const problems: string[] = [];

    if (python.length > 0) {
      const quoted = python.map((path) => `'${path.replaceAll("'", "'\\''")}'`).join(" ");
      const compiled = await options.backend.run(`python -m py_compile ${quoted} 2>&1`, {
        cwd: dir,
        timeoutSeconds: options.timeoutSeconds,
      });
      if (compiled.exitCode !== 0) problems.push(`Syntax check failed:\n${trimOutput(compiled.output)}`);
    }
    for (const script of python.filter((path) => /(^|\/)reproduce[^/]*\.py$/.test(path))) {
      const result = await options.backend.run(`python '${script}'`, {
        cwd: dir,
        timeoutSeconds: options.timeoutSeconds,
      });
      if (result.exitCode !== 0) {
        problems.push(
          `Your reproduction script ${script} exited with ${result.exitCode}:\n${trimOutput(result.output)}`,
        );
      }
    }
    if (problems.length > 0) {
      return {
        passed: false,
        failureClass: "tests_failed",
        feedback: problems.join("\n\n"),
        summary: "visible checks failed",
      };
    }
    if (!options.runVisibleTests)
      return { passed: true, feedback: "", summary: "syntax ok (no visible tests configured)" };

    const testFiles = (await findCoveringTests(dir, python)).slice(0, options.maxTestFiles ?? 5);
    if (testFiles.length === 0)
      return { passed: true, feedback: "", summary: "syntax ok; no existing tests cover the change" };
    for (const file of testFiles.filter((path) => !baseline.has(path))) {
      baseline.set(file, await runAtBase(dir, options.baseCommit, patch, file, options.runVisibleTests));
    }
    const after = await options.runVisibleTests(dir, testFiles);
    const regressions: string[] = [];
    const stillFailing: string[] = [];
    for (const [test, status] of after.statuses) {
      if (!FAILING.has(status)) continue;
      const before = [...baseline.values()].find((map) => map.has(test))?.get(test);
      (before && !FAILING.has(before) ? regressions : stillFailing).push(test);
    }
    if (regressions.length === 0) {
      return {
        passed: true,
        feedback: "",
        summary: `existing tests: no regressions in ${testFiles.length} file(s)`,
      };
    }
    return {
      passed: false,
      failureClass: "regression",
      summary: `${regressions.length} existing test(s) broke`,
      feedback: [
        `These existing tests passed before your change and fail now: ${regressions.slice(0, 20).join(", ")}`,
        trimOutput(after.log),
      ].join("\n\n"),
      details: { testFiles, regressions, stillFailing },
    };
  };
}

/**
 * Runs one test file against the code at base, then puts the candidate back. (Not `git stash`:
 * the stash ref is shared by every worktree of a mirror, and workers run side by side.)
 */
async function runAtBase(
  dir: string,
  baseCommit: string,
  patch: string,
  file: string,
  runner: VisibleTestRunner,
): Promise<Map<string, TestStatus>> {
  await resetToBase(dir, baseCommit);
  const outcome = await runner(dir, [file]).then(
    (result) => ({ ok: true as const, statuses: result.statuses }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  await resetToBase(dir, baseCommit);
  const restored = await applyPatch(dir, patch);
  if (!restored.ok)
    throw new Error(`could not restore the candidate patch after the baseline run: ${restored.reason}`);
  if (!outcome.ok) throw outcome.error;
  return outcome.statuses;
}

/** Existing test files named after a changed module: `test_<stem>.py`, `<stem>_test.py`, `tests/<stem>/`. */
export async function findCoveringTests(dir: string, changedPython: string[]): Promise<string[]> {
  const { stdout } = await run("git", ["ls-files", "-z", "--", "*test*.py"], {
    cwd: dir,
    maxBuffer: 64 * 1024 * 1024,
  });
  const tests = stdout.split("\0").filter(Boolean);
  const stems = changedPython
    .filter((path) => !/(^|\/)(tests?|testing)\//.test(path) && !/reproduce[^/]*\.py$/.test(path))
    .map((path) => (path.split("/").pop() ?? "").replace(/\.py$/, ""))
    .filter((stem) => stem && stem !== "__init__");
  const found: string[] = [];
  for (const stem of stems) {
    for (const test of tests) {
      const name = test.split("/").pop() ?? "";
      const matches = name === `test_${stem}.py` || name === `${stem}_test.py` || test.includes(`/${stem}/`);
      if (matches && !found.includes(test)) found.push(test);
    }
  }
  return found;
}

function trimOutput(output: string, maxLines = 60): string {
  const lines = output.trimEnd().split("\n");
  return lines.length <= maxLines ? lines.join("\n") : ["…", ...lines.slice(-maxLines)].join("\n");
}
