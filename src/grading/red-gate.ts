import type { Instance } from "../dataset/instance.js";
import type { Backend } from "../exec/backend.js";
import { type ApplyTry, applyPatch, resetToBase } from "../workspace/apply-patch.js";
import { classifyEnvironmentFailure, type EnvBrokenReason, findBuildFailure } from "./env-broken-reasons.js";
import { runInstanceTests, type TestRunResult } from "./run-instance-tests.js";
import type { TestStatus } from "./test-status.js";

export type RedVerdict = "reproduced" | "env_broken" | "already_passing" | "p2p_broken";

/** What the red gate found: does this environment reproduce the bug before any fix? */
export interface RedGateResult {
  verdict: RedVerdict;
  /** Why the environment is broken (env_broken only). */
  reason: EnvBrokenReason | null;
  /** Log lines that show the reason, or the failing P2P tests. */
  evidence: string[];
  /** F2P tests that already pass before any fix (a warning: SWE-bench's labels contain such artefacts). */
  warnings: string[];
  /** A collection/import error the fix itself may cure: only the gold patch can settle it. */
  provisional: boolean;
  /** Status of every F2P and P2P test (`missing` when the log does not mention it). */
  tests: Record<string, TestStatus | "missing">;
  /** The graded log. */
  log: string;
  /** Test command exit code. */
  exit_code: number | null;
  duration_ms: number;
  /** One line for people. */
  message: string;
}

const BUILD_REASONS = new Set<EnvBrokenReason>([
  "build_failed",
  "dependency_install_failed",
  "interpreter_unavailable",
]);

const passes = (status: TestStatus | "missing" | undefined) => status === "PASSED" || status === "XFAIL";
const p2pHolds = (status: TestStatus | "missing" | undefined) => passes(status) || status === "SKIPPED";

/**
 * Runs F2P ∪ P2P on base + test_patch. `reproduced` needs at least one F2P test failing because of
 * the bug with P2P intact; an environment that cannot run the tests at all is `env_broken` with a
 * reason from a fixed taxonomy and the log lines that show it.
 */
export async function runRedGate(options: {
  instance: Instance;
  dir: string;
  backend: Backend;
  timeoutSeconds: number;
  /** The checkout is known to be a clean checkout of base_commit (just created): the reset is skipped. */
  clean?: boolean;
}): Promise<RedGateResult> {
  const { instance, dir } = options;
  const started = Date.now();
  if (!options.clean) await resetToBase(dir, instance.base_commit);
  const applied = await applyPatch(dir, instance.test_patch);
  if (!applied.ok) return testPatchFailed(applied.tries, Date.now() - started);
  const run = await runInstanceTests(options);
  const tests = testStatuses(instance, run);
  const { verdict, ...finding } = judgeRedRun(instance, run, tests, options.timeoutSeconds);
  return {
    verdict,
    reason: null,
    evidence: [],
    warnings: instance.FAIL_TO_PASS.filter((id) => passes(tests[id])),
    provisional: false,
    tests,
    // A failed build is kept with the gate: its log is the whole output, the install's included.
    log: finding.reason && BUILD_REASONS.has(finding.reason) ? run.output : run.log,
    exit_code: run.exitCode,
    duration_ms: Date.now() - started,
    ...finding,
  };
}

type RedTests = RedGateResult["tests"];

/** The verdict and what backs it; the other fields of a result are the same for every verdict. */
type RedFinding = Pick<RedGateResult, "verdict" | "message"> &
  Partial<Pick<RedGateResult, "reason" | "evidence" | "provisional">>;

/** The result when test_patch does not apply: no test ran, the evidence is each method's last line. */
function testPatchFailed(tries: ApplyTry[], durationMs: number): RedGateResult {
  return {
    warnings: [],
    provisional: false,
    tests: {},
    exit_code: null,
    verdict: "env_broken",
    reason: "test_patch_failed",
    evidence: tries.map((attempt) => `${attempt.method}: ${attempt.output.trim().split("\n").at(-1)}`),
    log: "",
    duration_ms: durationMs,
    message: "env_broken (test_patch_failed): the test patch does not apply to base_commit",
  };
}

/** The status of every F2P and P2P test in the run, `missing` when the log does not name it. */
function testStatuses(instance: Instance, run: TestRunResult): RedTests {
  const tests: RedTests = {};
  for (const id of [...instance.FAIL_TO_PASS, ...instance.PASS_TO_PASS])
    tests[id] = run.statuses.get(id) ?? "missing";
  return tests;
}

/** The verdict on a finished run, in order: timeout, already passing, environment, P2P, reproduced. */
function judgeRedRun(
  instance: Instance,
  run: TestRunResult,
  tests: RedTests,
  timeoutSeconds: number,
): RedFinding {
  if (run.timedOut) {
    return {
      verdict: "env_broken",
      reason: "timeout",
      evidence: [`tests did not finish within ${timeoutSeconds} s`],
      message: `env_broken (timeout after ${timeoutSeconds} s)`,
    };
  }
  const f2pFailing = instance.FAIL_TO_PASS.filter((id) => !passes(tests[id]));
  if (f2pFailing.length === 0) {
    return {
      verdict: "already_passing",
      message: "already_passing: every FAIL_TO_PASS test passes before any fix",
    };
  }
  const nothingRan = [...instance.FAIL_TO_PASS, ...instance.PASS_TO_PASS].every(
    (id) => tests[id] === "missing",
  );
  const environment = judgeEnvironmentFailure(instance, run, tests, f2pFailing, nothingRan);
  if (environment) return environment;
  if (nothingRan) {
    return {
      verdict: "env_broken",
      reason: "no_tests_ran",
      evidence: run.log.trim().split("\n").slice(-5),
      message: "env_broken (no_tests_ran): the log names none of the instance's tests",
    };
  }
  const p2pFailing = instance.PASS_TO_PASS.filter((id) => !p2pHolds(tests[id]));
  if (p2pFailing.length > 0) {
    return {
      verdict: "p2p_broken",
      evidence: p2pFailing.slice(0, 20).map((id) => `${id}: ${tests[id]}`),
      message: `p2p_broken: ${p2pFailing.length} PASS_TO_PASS test(s) fail before any fix`,
    };
  }
  const warnings = instance.FAIL_TO_PASS.filter((id) => passes(tests[id]));
  return {
    verdict: "reproduced",
    message: `reproduced: ${f2pFailing.length}/${instance.FAIL_TO_PASS.length} FAIL_TO_PASS failing${warnings.length ? ` (${warnings.length} already pass: warning)` : ""}`,
  };
}

/**
 * The verdict when the log shows an environment failure and the failing F2P tests never really ran
 * (nothing ran, or each is missing or an error); undefined when the tests themselves decide.
 */
function judgeEnvironmentFailure(
  instance: Instance,
  run: TestRunResult,
  tests: RedTests,
  f2pFailing: string[],
  nothingRan: boolean,
): RedFinding | undefined {
  // A spec environment's failed install, printed before the tests, explains what the log then shows.
  const environment = findBuildFailure(run.output) ?? classifyEnvironmentFailure(run.log);
  const f2pMissing = f2pFailing.every((id) => tests[id] === "missing" || tests[id] === "ERROR");
  if (!environment || !(nothingRan || f2pMissing)) return undefined;
  // `cannot import name X from <the repository's own module>`: the fix may add X (only gold can tell).
  if (
    environment.reason === "import_error" &&
    environment.module &&
    isOwnModule(environment.module, instance)
  ) {
    return {
      verdict: "reproduced",
      provisional: true,
      evidence: environment.evidence,
      message: `reproduced (provisional): tests import a name from ${environment.module} that the fix may add`,
    };
  }
  // A name missing from someone else's package: the installed dependency is the wrong version.
  const reason =
    environment.reason === "import_error" && environment.module ? "dependency_version" : environment.reason;
  return {
    verdict: "env_broken",
    reason,
    evidence: environment.evidence,
    message: `env_broken (${reason}): ${environment.evidence[0] ?? ""}`,
  };
}

function isOwnModule(module: string, instance: Instance): boolean {
  const top = module.split(".")[0] ?? "";
  const name = instance.repo.split("/")[1]?.replace(/-/g, "_") ?? "";
  return top === name || instance.patch.includes(`a/${top}/`) || instance.patch.includes(`a/src/${top}/`);
}
