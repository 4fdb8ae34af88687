import type { GradingRules } from "./rules.js";
import type { StatusMap } from "./test-status.js";

/** Success and failure lists for one group of tests, in the dataset's order. */
export interface TestGroupReport {
  /** Ids that passed (dataset order). */
  success: string[];
  /** Ids that failed or are missing from the log (dataset order). */
  failure: string[];
}

/** The harness's `tests_status` object. */
export interface TestsStatus {
  /** Tests the fix must make pass. */
  FAIL_TO_PASS: TestGroupReport;
  /** Tests the fix must keep passing. */
  PASS_TO_PASS: TestGroupReport;
  /** Always empty: the harness computes it only with calculate_to_fail, which evaluation never sets. */
  FAIL_TO_FAIL: TestGroupReport;
  /** Always empty, as above. */
  PASS_TO_FAIL: TestGroupReport;
}

/** The harness's ResolvedStatus. */
export type Resolution = "FULL" | "PARTIAL" | "NO";

/** What grading one instance yields. */
export interface GradeResult {
  /** Per-group success/failure lists, as in report.json. */
  tests_status: TestsStatus;
  /** FULL when every F2P and P2P test succeeds; PARTIAL when some F2P do and all P2P do. */
  resolution: Resolution;
  /** True exactly when `resolution` is FULL. */
  resolved: boolean;
}

/** The status-map key an expected id refers to; truncated parametrized ids match by prefix (v5, #290). */
function resolveKey(id: string, statuses: StatusMap, rules: GradingRules): string | undefined {
  if (statuses.has(id)) return id;
  if (rules !== "v5" || countOf(id, "[") <= countOf(id, "]")) return undefined;
  const matches = [...statuses.keys()].filter((key) => key.startsWith(id));
  const outcomes = new Set(matches.map((key) => isPassing(statuses.get(key), rules)));
  return matches.length > 0 && outcomes.size === 1 ? matches[0] : undefined;
}

const countOf = (text: string, character: string) => text.split(character).length - 1;

function isPassing(status: string | undefined, rules: GradingRules): boolean {
  return status === "PASSED" || (status === "XFAIL" && rules !== "v2");
}

type Verdict = "success" | "failure" | "neither";

function gradeTest(id: string, statuses: StatusMap, rules: GradingRules, group: "F2P" | "P2P"): Verdict {
  const key = resolveKey(id, statuses, rules);
  const status = key === undefined ? undefined : statuses.get(key);
  if (isPassing(status, rules)) return "success";
  if (status === undefined || status === "FAILED" || status === "ERROR") return "failure";
  if (status === "SKIPPED" && rules === "v5") return group === "P2P" ? "success" : "failure";
  // Before v5 a SKIPPED (and before 2.1 an XFAIL) test landed in neither list.
  return "neither";
}

function gradeGroup(
  ids: readonly string[],
  statuses: StatusMap,
  rules: GradingRules,
  group: "F2P" | "P2P",
): TestGroupReport {
  const report: TestGroupReport = { success: [], failure: [] };
  for (const id of ids) {
    const verdict = gradeTest(id, statuses, rules, group);
    if (verdict !== "neither") report[verdict].push(id);
  }
  return report;
}

const score = (group: TestGroupReport) => {
  const total = group.success.length + group.failure.length;
  return total === 0 ? 1 : group.success.length / total;
};

/** Grades a status map against an instance's expected tests, exactly as the SWE-bench harness does. */
export function gradeInstance(
  statuses: StatusMap,
  expected: { FAIL_TO_PASS: readonly string[]; PASS_TO_PASS: readonly string[] },
  rules: GradingRules = "v5",
): GradeResult {
  const tests_status: TestsStatus = {
    FAIL_TO_PASS: gradeGroup(expected.FAIL_TO_PASS, statuses, rules, "F2P"),
    PASS_TO_PASS: gradeGroup(expected.PASS_TO_PASS, statuses, rules, "P2P"),
    FAIL_TO_FAIL: { success: [], failure: [] },
    PASS_TO_FAIL: { success: [], failure: [] },
  };
  const f2p = score(tests_status.FAIL_TO_PASS);
  const p2p = score(tests_status.PASS_TO_PASS);
  const resolution: Resolution =
    f2p === 1 && p2p === 1 ? "FULL" : f2p > 0 && f2p < 1 && p2p === 1 ? "PARTIAL" : "NO";
  return { tests_status, resolution, resolved: resolution === "FULL" };
}
