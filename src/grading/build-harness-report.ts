import type { Instance } from "../dataset/instance.js";
import { specFor } from "../specs/spec-for.js";
import { gradeInstance, type TestsStatus } from "./grade-instance.js";
import { getLogParser } from "./log-parsers.js";
import type { GradingRules } from "./rules.js";
import { selectGradedLog, showsSuiteRan } from "./select-graded-log.js";
import type { StatusMap } from "./test-status.js";

export { HARNESS_MARKERS } from "./select-graded-log.js";

/** One entry of the harness's `report.json`. */
export interface HarnessReportEntry {
  /** True when the prediction's patch was null (nothing else is then evaluated). */
  patch_is_None: boolean;
  /** True when a patch was given. */
  patch_exists: boolean;
  /** True when the log is gradable: no failure code, markers (or 2.x's applied line), not voided. */
  patch_successfully_applied: boolean;
  /** True exactly when the grade is FULL. */
  resolved: boolean;
  /** Per-test success/failure lists; absent when the patch did not apply. */
  tests_status?: TestsStatus;
  /**
   * swegate's own findings (absent from the harness's reports): `refused` names the test-machinery
   * files that kept the tests from running; `suspicious` why a pass is not believed, with
   * `log_resolved` what the log alone graded. Either makes `resolved` false.
   */
  swegate?: { refused?: string[]; suspicious?: string[]; log_resolved?: boolean };
}

/** An instance row with what grading needs. */

export type InstanceForGrading = Pick<
  Instance,
  "instance_id" | "repo" | "version" | "FAIL_TO_PASS" | "PASS_TO_PASS" | "extra"
>;

/**
 * Reads an official eval log like the harness's `get_logs_eval` under the given rules: see
 * `selectGradedLog` for what is graded. v5 (harness 5.0) adds three checks: nothing parsed between
 * the markers → parse the whole log; nothing parsed at all and no sign a suite ran → void; a
 * non-zero recorded exit code while the log shows no FAILED/ERROR → void (spoofed PASSED lines).
 * Rules v2/v4 grade exactly the selected text.
 */
export function readHarnessLog(
  log: string,
  parse: (text: string) => StatusMap,
  rules: GradingRules,
): { statuses: StatusMap; applied: boolean } {
  const selected = selectGradedLog(log);
  const none = { statuses: new Map() as StatusMap, applied: false };
  if (selected.kind === "void") return none;
  let statuses = parse(selected.text);
  if (selected.kind === "unmarked" || rules !== "v5") return { statuses, applied: true };
  if (statuses.size === 0) statuses = parse(selected.whole);
  if (statuses.size === 0 && !showsSuiteRan(selected.whole)) return none;
  const sawFailure = [...statuses.values()].some((status) => status === "FAILED" || status === "ERROR");
  if (selected.exitCode !== undefined && selected.exitCode !== 0 && statuses.size > 0 && !sawFailure) {
    return none;
  }
  return { statuses, applied: true };
}

/** Exactly the harness's `report.json` object for one instance. */
export function buildHarnessReport(options: {
  instance: InstanceForGrading;
  log: string;
  /** The candidate patch; null reproduces `patch_is_None`. */
  patch?: string | null;
  rules?: GradingRules;
}): Record<string, HarnessReportEntry> {
  const { instance } = options;
  const rules = options.rules ?? "v5";
  const entry: HarnessReportEntry = {
    patch_is_None: false,
    patch_exists: false,
    patch_successfully_applied: false,
    resolved: false,
  };
  const report = { [instance.instance_id]: entry };
  if (options.patch === null) {
    entry.patch_is_None = true;
    return report;
  }
  entry.patch_exists = true;
  const parse = getLogParser(specFor(instance).log_parser, rules);
  const { statuses, applied } = readHarnessLog(options.log, parse, rules);
  if (!applied) return report;
  entry.patch_successfully_applied = true;
  const grade = gradeInstance(statuses, instance, rules);
  entry.resolved = grade.resolved;
  entry.tests_status = grade.tests_status;
  return report;
}
