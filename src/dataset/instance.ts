/** One SWE-bench row, validated. Field names keep the dataset's own spelling. */
export interface Instance {
  /** `owner__name-number`, e.g. `django__django-15738`. */
  instance_id: string;
  /** `owner/name` on GitHub, e.g. `django/django`. */
  repo: string;
  /** Commit the task starts from (40 hex digits). */
  base_commit: string;
  /** Gold patch (unified diff) that fixes the issue. */
  patch: string;
  /** Unified diff adding/changing the tests that judge a fix. */
  test_patch: string;
  /** The issue text the model reads. */
  problem_statement: string;
  /** Comments on the issue before the fix; shown to a model only when asked. */
  hints_text: string;
  /** ISO timestamp of the issue/PR. */
  created_at: string;
  /** Repository version key into the specs (e.g. `3.0`). */
  version: string;
  /** Tests that must go from failing to passing (decoded from JSON when needed). */
  FAIL_TO_PASS: string[];
  /** Tests that must keep passing. */
  PASS_TO_PASS: string[];
  /** Commit whose environment the tests were recorded in. */
  environment_setup_commit: string;
  /** Extra columns (v5 rows: `image`, `eval_script`, `log_parser`, `test_cmd`, …) kept as they came. */
  extra: Record<string, unknown>;
}
