import type { Instance } from "../dataset/instance.js";
import { specFor } from "../specs/spec-for.js";
import { gradeInstance, type TestsStatus } from "./grade-instance.js";
import { getLogParser } from "./log-parsers.js";
import type { GradingRules } from "./rules.js";
import type { StatusMap } from "./test-status.js";

/** The harness's markers and failure codes in an eval log. */
export const HARNESS_MARKERS = {
  start: ">>>>> Start Test Output",
  end: ">>>>> End Test Output",
  exitCode: ">>>>> Test Exit Code",
  failures: [
    ">>>>> Patch Apply Failed",
    ">>>>> Reset Failed",
    ">>>>> Tests Errored",
    ">>>>> Tests Timed Out",
  ],
};

/** One entry of the harness's `report.json`. */
export interface HarnessReportEntry {
  patch_is_None: boolean;
  patch_exists: boolean;
  patch_successfully_applied: boolean;
  resolved: boolean;
  tests_status?: TestsStatus;
}

export type InstanceForGrading = Pick<
  Instance,
  "instance_id" | "repo" | "version" | "FAIL_TO_PASS" | "PASS_TO_PASS" | "extra"
>;

/**
 * Reads an official eval log like the harness's `get_logs_eval`: failure codes void the run; v5 logs
 * are graded between the start/end markers (falling back to the whole log when nothing parses
 * there), and a non-zero recorded exit code with no failure in the log voids it (spoofed PASSED
 * lines); logs from harness 2.x carry no markers and are parsed whole, as those versions did
 * (they required git's "Applied patch" line and read what followed the prediction's).
 */
export function readHarnessLog(
  log: string,
  parse: (text: string) => StatusMap,
  rules: GradingRules,
): { statuses: StatusMap; applied: boolean } {
  if (HARNESS_MARKERS.failures.some((code) => log.includes(code)))
    return { statuses: new Map(), applied: false };
  const start = log.indexOf(HARNESS_MARKERS.start);
  const end = log.indexOf(HARNESS_MARKERS.end, start + 1);
  if (start < 0 && !log.includes(HARNESS_MARKERS.end)) {
    // A log from harness 2.x: no markers were written then, and the whole log was parsed.
    if (!log.toLowerCase().includes("applied patch")) return { statuses: new Map(), applied: false };
    return { statuses: parse(log.split(">>>>> Applied Patch (pred)").at(-1) ?? log), applied: true };
  }
  if (start < 0 || end < 0) return { statuses: new Map(), applied: false };
  let statuses = parse(log.slice(start + HARNESS_MARKERS.start.length, end));
  if (statuses.size === 0 && rules === "v5") statuses = parse(log);
  const exitCode = new RegExp(`${HARNESS_MARKERS.exitCode}:\\s*(-?\\d+)`).exec(log)?.[1];
  const sawFailure = [...statuses.values()].some((status) => status === "FAILED" || status === "ERROR");
  if (
    rules === "v5" &&
    exitCode !== undefined &&
    Number(exitCode) !== 0 &&
    statuses.size > 0 &&
    !sawFailure
  ) {
    return { statuses: new Map(), applied: false };
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
