import type { Instance } from "../dataset/instance.js";
import type { Backend } from "../exec/backend.js";
import { applyDisjointPatches, applyPatch, resetPatchFiles, resetToBase } from "../workspace/apply-patch.js";
import { listTouchedPaths } from "../workspace/snapshot-paths.js";
import { gradeInstance, type Resolution, type TestsStatus } from "./grade-instance.js";
import { runInstanceTests } from "./run-instance-tests.js";
import { describeFinding, scanPatchForTampering } from "./scan-patch.js";
import type { EvidenceCheck } from "./test-evidence.js";
import { findTestMachineryEdits } from "./test-machinery.js";
import type { TestStatus } from "./test-status.js";

/** What the green gate found for a candidate patch, graded as the SWE-bench harness grades. */
export interface GreenGateResult {
  resolution: Resolution;
  /** True exactly when FULL and nothing is suspicious: what "verified" means. */
  resolved: boolean;
  /** Which step of the apply chain took the patch, or null when none did. */
  patch_applied_by: string | null;
  tests_status: TestsStatus | null;
  /** Status of every F2P and P2P test. */
  tests: Record<string, TestStatus | "missing">;
  /** Why the run cannot be trusted or the patch did not apply; null when graded normally. */
  problem: string | null;
  /** Files the candidate changes that belong to the test machinery: refused before any test ran (empty when none). */
  refused: string[];
  /**
   * Why the verdict cannot be trusted although the log may grade it: evidence that disagrees with
   * the log (when it graded FULL) and tampering the patch scan found. Non-empty means `suspicious`:
   * never verified, never certified.
   */
  suspicious: string[];
  /** The evidence weighed against the log (exit status, runner summary, JUnit report). */
  evidence: EvidenceCheck[];
  /** The test run was killed at the timeout (the harness counts such an instance as an error). */
  timed_out: boolean;
  log: string;
  exit_code: number | null;
  duration_ms: number;
  /** One line for people. */
  message: string;
}

/**
 * Applies a candidate patch, puts the test_patch's files back to base (deleting files it creates)
 * and applies test_patch — so a candidate can never change the judging tests — then runs F2P ∪ P2P
 * and grades. A run whose exit code says failure while its log shows none, or that did not reach its
 * end marker, is not trusted: the candidate may be printing fake results.
 */
export async function runGreenGate(options: {
  instance: Instance;
  dir: string;
  patch: string;
  backend: Backend;
  timeoutSeconds: number;
}): Promise<GreenGateResult> {
  const { instance, dir } = options;
  const started = Date.now();
  const notGraded = (problem: string, fields: Partial<GreenGateResult> = {}): GreenGateResult => ({
    resolution: "NO",
    resolved: false,
    patch_applied_by: null,
    tests_status: null,
    tests: {},
    problem,
    refused: [],
    suspicious: [],
    evidence: [],
    timed_out: false,
    log: "",
    exit_code: null,
    duration_ms: Date.now() - started,
    message: `NO: ${problem}`,
    ...fields,
  });
  await resetToBase(dir, instance.base_commit);
  // Usually the candidate leaves the test files alone and both apply cleanly: one `git apply` then.
  const method = (await applyDisjointPatches(dir, options.patch, instance.test_patch))
    ? "git apply"
    : await applyCandidateThenTests(dir, instance, options.patch);
  if (typeof method !== "string") return notGraded(method.problem, { patch_applied_by: method.appliedBy });
  const refused = await findTestMachineryEdits({ dir, instance, patch: options.patch });
  if (refused.length > 0)
    return notGraded(
      `refused before the tests ran: the patch changes the test machinery (${refused.join("; ")})`,
      {
        patch_applied_by: method,
        refused,
      },
    );

  const run = await runInstanceTests(options);
  const statuses: GreenGateResult["tests"] = {};
  for (const id of [...instance.FAIL_TO_PASS, ...instance.PASS_TO_PASS])
    statuses[id] = run.statuses.get(id) ?? "missing";
  const base = {
    patch_applied_by: method,
    tests: statuses,
    log: run.log,
    exit_code: run.exitCode,
    evidence: run.evidence,
  };
  if (run.timedOut)
    return notGraded(`tests timed out after ${options.timeoutSeconds} s`, { ...base, timed_out: true });
  if (!run.complete) return notGraded("the test run was cut short (no start marker, or killed)", base);
  const sawFailure = [...run.statuses.values()].some((status) => status === "FAILED" || status === "ERROR");
  if (run.exitCode !== 0 && run.statuses.size > 0 && !sawFailure) {
    return notGraded(
      `the test command exited ${run.exitCode} but the log shows no failure (spoofed output?)`,
      base,
    );
  }
  const grade = gradeInstance(run.statuses, instance);
  const f2p = grade.tests_status.FAIL_TO_PASS;
  const p2p = grade.tests_status.PASS_TO_PASS;
  const counts = `F2P ${f2p.success.length}/${f2p.success.length + f2p.failure.length}, P2P ${p2p.success.length}/${p2p.success.length + p2p.failure.length}`;
  // Evidence speaks only against a pass the log claims; tampering in the patch counts whatever the tests say.
  const suspicious = [
    ...(grade.resolved
      ? run.evidence.filter((check) => !check.ok).map((check) => `${check.kind}: ${check.detail}`)
      : []),
    ...scanPatchForTampering(options.patch, instance).map((finding) => `patch: ${describeFinding(finding)}`),
  ];
  return {
    ...base,
    resolution: grade.resolution,
    resolved: grade.resolved && suspicious.length === 0,
    tests_status: grade.tests_status,
    problem: null,
    refused: [],
    suspicious,
    timed_out: false,
    duration_ms: Date.now() - started,
    message:
      suspicious.length > 0
        ? `SUSPICIOUS (the log grades ${grade.resolution}, ${counts}): ${suspicious[0]}${suspicious.length > 1 ? ` (+${suspicious.length - 1} more)` : ""}`
        : `${grade.resolution}: ${counts}`,
  };
}

/**
 * The harness's way: the candidate through the whole chain, the test_patch's files put back to base
 * where the candidate touched them, then the test_patch. Returns the candidate's method, or why not.
 */
async function applyCandidateThenTests(
  dir: string,
  instance: Instance,
  patch: string,
): Promise<string | { problem: string; appliedBy: string | null }> {
  const candidate = await applyPatch(dir, patch);
  if (!candidate.ok) return { problem: `the patch does not apply (${candidate.reason})`, appliedBy: null };
  // Only files the candidate names can differ from base here.
  const touched = new Set(listTouchedPaths(patch));
  await resetPatchFiles(dir, instance.base_commit, instance.test_patch, (path) => touched.has(path));
  const tests = await applyPatch(dir, instance.test_patch);
  if (!tests.ok)
    return { problem: "the test patch does not apply on top of the candidate", appliedBy: candidate.method };
  return candidate.method;
}
