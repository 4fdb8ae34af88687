/** Python's `str.split()` with no argument: split on runs of whitespace, dropping empty ends. */
export function splitWords(line: string): string[] {
  return line.split(/[\s\x1c-\x1f\x85]+/u).filter(Boolean);
}

export const TEST_STATUSES = ["FAILED", "PASSED", "SKIPPED", "ERROR", "XFAIL"] as const;

/** True when the line starts with a status word, as the harness checks (`line.startswith(status)`). */
export function startsWithStatus(line: string): boolean {
  return TEST_STATUSES.some((status) => line.startsWith(status));
}
