/**
 * Grading rule sets of the SWE-bench harness over time, so historical verdicts can be reproduced:
 * - `v2` — harness 2.0.x (mid-2024): PASSED alone passes; SKIPPED and XFAIL land in neither list;
 *   the whole log is parsed (no markers); pytest_v2 ids cut at the first space.
 * - `v4` — harness 2.1 to 4.x: XFAIL passes too; SKIPPED still in neither list; no truncated-id match.
 * - `v5` — current: SKIPPED fails for F2P and is kept for P2P (harness #598), truncated parametrized
 *   ids match by prefix (#290), pytest's `SKIPPED [N]` summary lines are not tests, pytest_v2 ids
 *   keep their spaces (#279), and a non-zero exit code with no failure in the log voids the run.
 */
export type GradingRules = "v2" | "v4" | "v5";

export const GRADING_RULES: readonly GradingRules[] = ["v2", "v4", "v5"];
