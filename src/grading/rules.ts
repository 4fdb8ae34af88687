/**
 * Grading rule sets of the SWE-bench harness over time, so historical verdicts can be reproduced
 * (tags of SWE-bench/SWE-bench; the commit subjects named are where each rule changed):
 * - `v2` — harness 2.0.x (mid-2024; old-style pytest_v2 lines read since 2.0.12): only PASSED
 *   passes (grading.py `test_passed`), so XFAIL and SKIPPED land in neither list; logs carry no
 *   markers and are parsed after the prediction's "Applied Patch" line; ids are one word.
 * - `v4` — harness 2.1.0 to 4.x: XFAIL passes too ("Update grading.py to handle XFAIL", 2.1.0);
 *   SKIPPED still lands in neither list; logs graded strictly between the start/end markers
 *   (3.0.15+); no truncated-id match; pytest_v2 ids still one word.
 * - `v5` — harness 5.0: SKIPPED fails for F2P and is kept for P2P (#598); truncated parametrized ids
 *   match by prefix when candidates agree on pass/fail (#290); pytest's `SKIPPED [N]` summary lines
 *   are not tests (#598); pytest_v2 ids keep their spaces and drop ` - message` (#279); nothing
 *   between the markers → parse the whole log; nothing parsed and no sign a suite ran → void;
 *   a non-zero recorded exit code with no FAILED/ERROR in the log → void ("detect stdout spoofing
 *   via test exit code").
 */
export type GradingRules = "v2" | "v4" | "v5";

/** Every rule set, oldest first. */
export const GRADING_RULES: readonly GradingRules[] = ["v2", "v4", "v5"];
