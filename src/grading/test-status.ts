/** Test statuses as the SWE-bench harness names them. */
export type TestStatus = "PASSED" | "FAILED" | "SKIPPED" | "ERROR" | "XFAIL";

/** What a log parser returns: test id → status (the last status seen wins, as in the harness). */
export type StatusMap = Map<string, TestStatus>;

/** A pure log parser, registered by name (`parse_log_pytest`, `parse_log_django`, …). */
export type LogParser = (log: string) => StatusMap;
