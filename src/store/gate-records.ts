// What the store keeps of the red and green gates. The grading layer sits above the store, so these
// are declared here; the run layer's assignment of grading's results to them keeps the two in step.

/** The red gate's verdicts (closed set). */
export const RED_VERDICTS = ["reproduced", "env_broken", "already_passing", "p2p_broken"] as const;

/** Does this environment reproduce the bug before any fix? */
export type RedVerdict = (typeof RED_VERDICTS)[number];

/** The harness's resolution of a graded instance. */
export type Resolution = "FULL" | "PARTIAL" | "NO";

/** One test's status in a graded log, or `missing` when the log does not name it. */
export type TestOutcome = "PASSED" | "FAILED" | "SKIPPED" | "ERROR" | "XFAIL" | "missing";

/** Success and failure lists of one group of tests, as in the harness's report.json. */
export interface TestGroupSummary {
  /** Ids that passed. */
  success: string[];
  /** Ids that failed or are missing from the log. */
  failure: string[];
}

/** The red gate as kept with an instance's result (its log is an artefact file). */
export interface RedGateSummary {
  /** What the gate found. */
  verdict: RedVerdict;
  /** Why the environment is broken (env_broken only): one of grading's fixed reasons. */
  reason: string | null;
  /** Log lines that show the reason, or the failing P2P tests. */
  evidence: string[];
  /** F2P tests that already passed before any fix. */
  warnings: string[];
  /** A collection or import error the fix itself may cure. */
  provisional: boolean;
  /** Status of every F2P and P2P test. */
  tests: Record<string, TestOutcome>;
  /** Wall time of the gate, milliseconds. */
  duration_ms: number;
}

/** The final green gate as kept with an instance's result (its log is an artefact file). */
export interface GreenGateSummary {
  /** The harness's grade. */
  resolution: Resolution;
  /** FULL and nothing suspicious: what "verified" means. */
  resolved: boolean;
  /** Why the run cannot be trusted or the patch did not apply; null when graded normally. */
  problem: string | null;
  /** Test-machinery files the patch changes (absent in results recorded before the refusal existed). */
  refused?: string[];
  /** Why the verdict cannot be trusted (absent in results recorded before such checks existed). */
  suspicious?: string[];
  /** Evidence weighed against the log (absent in results recorded before it was kept). */
  evidence?: { kind: string; ok: boolean; detail: string }[];
  /** Which step of the apply chain took the patch, or null when none did. */
  patch_applied_by: string | null;
  /** The harness's per-group lists; null when the tests could not be graded. */
  tests_status: {
    FAIL_TO_PASS: TestGroupSummary;
    PASS_TO_PASS: TestGroupSummary;
    FAIL_TO_FAIL: TestGroupSummary;
    PASS_TO_FAIL: TestGroupSummary;
  } | null;
  /** Status of every F2P and P2P test. */
  tests: Record<string, TestOutcome>;
  /** Wall time of the gate, milliseconds. */
  duration_ms: number;
}
