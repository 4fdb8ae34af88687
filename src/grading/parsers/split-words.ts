// Python's whitespace (str.isspace): ASCII \t\n\v\f\r, \x1c-\x1f, space, \x85, \xa0 and the Unicode
// spaces. JavaScript's \s differs (it adds \ufeff and lacks \x1c-\x1f and \x85), and the dataset's
// ids were cut by Python, so the set is spelled out.
const PYTHON_WHITESPACE =
  "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const WHITESPACE_RUN = new RegExp(`[${PYTHON_WHITESPACE}]+`, "u");
const EDGE_WHITESPACE = new RegExp(`^[${PYTHON_WHITESPACE}]+|[${PYTHON_WHITESPACE}]+$`, "gu");

/** Python's `str.split()` with no argument: split on runs of whitespace, dropping empty ends. */
export function splitWords(line: string): string[] {
  return line.split(WHITESPACE_RUN).filter(Boolean);
}

/** Python's `str.strip()` with no argument. */
export function stripWhitespace(line: string): string {
  return line.replace(EDGE_WHITESPACE, "");
}

/** The harness's TestStatus values, in its enum order. */
export const TEST_STATUSES = ["FAILED", "PASSED", "SKIPPED", "ERROR", "XFAIL"] as const;

/** True when the line starts with a status word, as the harness checks (`line.startswith(status)`). */
export function startsWithStatus(line: string): boolean {
  return TEST_STATUSES.some((status) => line.startsWith(status));
}
