/** The markers and failure codes the official harness writes into an eval log (its constants). */
export const HARNESS_MARKERS = {
  start: ">>>>> Start Test Output",
  end: ">>>>> End Test Output",
  exitCode: ">>>>> Test Exit Code",
  /** Written by harness 2.x after `git apply` of the prediction; its grading read what followed. */
  appliedPrediction: ">>>>> Applied Patch (pred)",
};

/** Failure codes whose presence anywhere voids a run (`get_logs_eval`'s bad codes). */
const FAILURE_CODES = [
  { code: ">>>>> Patch Apply Failed", reason: "patch_apply_failed" },
  { code: ">>>>> Reset Failed", reason: "reset_failed" },
  { code: ">>>>> Tests Errored", reason: "tests_errored" },
  { code: ">>>>> Tests Timed Out", reason: "tests_timed_out" },
] as const;

// Harness 2.x also treated this message as a failed reset; 3.0 dropped it with the old runner.
const LEGACY_RESET_FAILURE = "Failed to reset task environment";

/** Why a log cannot be graded: the harness then reports patch_successfully_applied = false. */
export type VoidReason = (typeof FAILURE_CODES)[number]["reason"] | "markers_missing" | "patch_not_applied";

/** The part of an eval log the harness grades, or why there is none. */
export type GradedLog =
  | {
      /** A current log: `text` is between the start/end markers, `whole` is the entire log. */
      kind: "marked";
      /** Text between the markers (the harness parses this first). */
      text: string;
      /** The entire log (v5 falls back to it when nothing parses between the markers). */
      whole: string;
      /** The test command's exit status recorded after the end marker (v5 eval scripts), if any. */
      exitCode: number | undefined;
    }
  | {
      /** A harness 2.x log (no markers): graded whole, from the prediction's "Applied Patch" line on. */
      kind: "unmarked";
      /** The text to parse. */
      text: string;
    }
  | {
      /** Nothing to grade. */
      kind: "void";
      /** Which check failed. */
      reason: VoidReason;
    };

const EXIT_CODE = new RegExp(`${HARNESS_MARKERS.exitCode}:\\s*(-?\\d+)`);

/**
 * Picks what to grade in an official eval log, as `get_logs_eval` does. A failure code anywhere voids
 * the run. A log with both markers is graded between them (the first start, the first end after it).
 * A log with neither marker comes from harness 2.x (mid-2024), which required git's "applied patch"
 * line and parsed everything after the prediction's — so it is graded whole. One marker without the
 * other means the test patch never ran: void.
 */
export function selectGradedLog(log: string): GradedLog {
  const failure = FAILURE_CODES.find(({ code }) => log.includes(code));
  if (failure) return { kind: "void", reason: failure.reason };
  const hasStart = log.includes(HARNESS_MARKERS.start);
  const hasEnd = log.includes(HARNESS_MARKERS.end);
  if (!hasStart && !hasEnd) {
    if (log.includes(LEGACY_RESET_FAILURE)) return { kind: "void", reason: "reset_failed" };
    if (!log.toLowerCase().includes("applied patch")) return { kind: "void", reason: "patch_not_applied" };
    return { kind: "unmarked", text: log.split(HARNESS_MARKERS.appliedPrediction).at(-1) ?? log };
  }
  if (!hasStart || !hasEnd) return { kind: "void", reason: "markers_missing" };
  // Python's content.split(START)[1].split(END)[0]: after the first start, up to the next end.
  const afterStart = log.split(HARNESS_MARKERS.start)[1] ?? "";
  const text = afterStart.split(HARNESS_MARKERS.end)[0] ?? "";
  const exitCode = EXIT_CODE.exec(log)?.[1];
  return {
    kind: "marked",
    text,
    whole: log,
    exitCode: exitCode === undefined ? undefined : Number(exitCode),
  };
}

// Signs that a test runner ran although nothing parsed (the harness's SUITE_RAN, v5): non-zero
// counts from karma, mocha, jest, TAP, jasmine and openlayers summaries. A zero count is no evidence.
const SUITE_RAN =
  /Executed [1-9]\d* of \d+|TOTAL: [1-9]\d* (?:SUCCESS|FAILED)|[1-9]\d* passing|Tests:\s+[1-9]\d*|Test Suites:\s+(?:\d+ \w+, )*[1-9]\d* total|^# tests [1-9]\d*|[1-9]\d* specs?, \d+ failures?|': ok$/m;

/** True when the log shows a test suite ran (used only when the parser found no tests). */
export function showsSuiteRan(log: string): boolean {
  return SUITE_RAN.test(log);
}
