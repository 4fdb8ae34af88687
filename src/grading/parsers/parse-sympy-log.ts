import type { StatusMap } from "../test-status.js";
import { splitWords, stripWhitespace } from "./split-words.js";

// Python's `.` stops only at "\n"; JavaScript's also at "\r", which CRLF logs carry.
const FAILURE_HEADER = /(_*) ([^\n]*)\.py:([^\n]*) (_*)/g;

/** sympy's `bin/test --verbose`: `test_name ok|F|E` lines and `___ path.py:test_name ___` failure headers. */
export function parseSympyLog(log: string): StatusMap {
  const statuses: StatusMap = new Map();
  for (const match of log.matchAll(FAILURE_HEADER)) statuses.set(`${match[2]}.py:${match[3]}`, "FAILED");
  for (const raw of log.split("\n")) {
    const line = stripWhitespace(raw);
    if (!line.startsWith("test_")) continue;
    const name = splitWords(line)[0] ?? "";
    if (line.endsWith(" E")) statuses.set(name, "ERROR");
    if (line.endsWith(" F")) statuses.set(name, "FAILED");
    if (line.endsWith(" ok")) statuses.set(name, "PASSED");
  }
  return statuses;
}
