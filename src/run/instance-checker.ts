import { createBlindChecker } from "../agent/create-blind-checker.js";
import type { Checker, FeedbackMode } from "../agent/run-attempt-loop.js";
import type { Instance } from "../dataset/instance.js";
import type { Backend } from "../exec/backend.js";
import type { GreenGateResult } from "../grading/green-gate.js";
import { runInstanceTests } from "../grading/run-instance-tests.js";
import { describeFinding, scanPatchForTampering } from "../grading/scan-patch.js";
import { findTestMachineryEdits } from "../grading/test-machinery.js";

/** The green gate on a candidate patch in the instance's workspace (each patch run once). */
export type GreenGate = (patch: string) => Promise<GreenGateResult>;

/** What a checker of an instance's candidates needs. */
export interface CheckerOptions {
  /** The instance whose candidates are checked. */
  instance: Instance;
  /** Its workspace folder. */
  dir: string;
  /** Oracle: the green gate decides and its failures feed back; blind: visible checks only. */
  mode: FeedbackMode;
  /** Where tests run. */
  backend: Backend;
  /** Limit of one test run, seconds. */
  timeoutSeconds: number;
  /** The green gate shared with the final verdict, so the last patch is not run twice. */
  green: GreenGate;
}

/**
 * The check each attempt's candidate goes through: the mode's own check, behind the test-machinery
 * refusal and the tampering scan (which apply in both modes).
 */
export function createInstanceChecker(options: CheckerOptions): Checker {
  const check = options.mode === "oracle" ? oracleChecker(options) : blindChecker(options);
  return refuseTampering(check, options.instance);
}

function oracleChecker({ dir, green }: CheckerOptions): Checker {
  return async ({ patch }) => {
    const outcome = await green(patch);
    return {
      passed: outcome.resolved,
      failureClass: classifyGreen(outcome),
      // The workspace path is this machine's business, not the model's.
      feedback: greenFeedback(outcome).replaceAll(dir, "."),
      summary: outcome.message,
      details: outcome,
    };
  };
}

function blindChecker({ instance, backend, timeoutSeconds }: CheckerOptions): Checker {
  return createBlindChecker({
    backend,
    baseCommit: instance.base_commit,
    timeoutSeconds,
    runVisibleTests: async (workspaceDir, testFiles) => {
      const pseudo = {
        ...instance,
        test_patch: testFiles.map((file) => `diff --git a/${file} b/${file}\n`).join(""),
      };
      const run = await runInstanceTests({ instance: pseudo, dir: workspaceDir, backend, timeoutSeconds });
      return { statuses: run.statuses, log: run.log, timedOut: run.timedOut };
    },
  });
}

function classifyGreen(
  outcome: GreenGateResult,
): "tests_failed" | "regression" | "test_machinery" | "suspicious" | undefined {
  if (outcome.resolved) return undefined;
  if (outcome.refused.length > 0) return "test_machinery";
  if (outcome.suspicious.length > 0) return "suspicious";
  return outcome.tests_status && outcome.tests_status.PASS_TO_PASS.failure.length > 0
    ? "regression"
    : "tests_failed";
}

/** Oracle feedback: the failing hidden tests and the tail of their log (not valid for the leaderboard). */
function greenFeedback(outcome: GreenGateResult): string {
  if (outcome.resolved) return "";
  if (outcome.refused.length > 0) return refusalFeedback(outcome.refused);
  if (outcome.suspicious.length > 0) return suspicionFeedback(outcome.suspicious);
  if (!outcome.tests_status) return `Your change could not be tested: ${outcome.problem}`;
  const lines: string[] = [];
  if (outcome.tests_status.FAIL_TO_PASS.failure.length > 0)
    lines.push(`These tests should pass but fail: ${outcome.tests_status.FAIL_TO_PASS.failure.join(", ")}`);
  if (outcome.tests_status.PASS_TO_PASS.failure.length > 0)
    lines.push(
      `These tests passed before your change and now fail: ${outcome.tests_status.PASS_TO_PASS.failure.join(", ")}`,
    );
  const tail = outcome.log.trim().split("\n").slice(-40).join("\n");
  return `${lines.join("\n")}\n\nTest output (last lines):\n${tail}`;
}

const refusalFeedback = (reasons: string[]) =>
  `Your change was refused before any test ran: it changes files that decide how tests are collected, run or reported, which the grader does not allow:\n${reasons.map((reason) => `- ${reason}`).join("\n")}\nFix the behaviour in the code under test instead, and leave the test machinery alone.`;

const suspicionFeedback = (reasons: string[]) =>
  `Your change was not accepted: it looks like tampering with the test run, not a fix:\n${reasons.map((reason) => `- ${reason}`).join("\n")}\nRemove that code and fix the behaviour itself.`;

/**
 * Before any check runs (either mode): a candidate that changes the test machinery is refused, and
 * one whose added lines tamper with the test run is turned back, each with the reason as feedback.
 * Neither uses the hidden tests, so both are fair in blind mode too; the final green gate applies
 * the same rules again.
 */
function refuseTampering(check: Checker, instance: Instance): Checker {
  return async (input) => {
    const refused = await findTestMachineryEdits({ dir: input.dir, instance, patch: input.patch });
    if (refused.length > 0)
      return {
        passed: false,
        failureClass: "test_machinery",
        feedback: refusalFeedback(refused),
        summary: `refused: the patch changes the test machinery (${refused[0]})`,
      };
    const findings = scanPatchForTampering(input.patch, instance).map(describeFinding);
    if (findings.length > 0)
      return {
        passed: false,
        failureClass: "suspicious",
        feedback: suspicionFeedback(findings),
        summary: `suspicious: ${findings[0]}`,
      };
    return check(input);
  };
}
