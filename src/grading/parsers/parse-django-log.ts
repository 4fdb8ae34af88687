import type { StatusMap } from "../test-status.js";
import { splitWords, stripWhitespace } from "./split-words.js";

const PASS_SUFFIXES = [" ... ok", " ... OK", " ...  OK"];

// Django's runner sometimes prints a long message between "..." and "ok" (the harness lists these).
// Written for Python's MULTILINE semantics: `.` and the anchors know only "\n" as a line break.
const INTERRUPTED_PASSES = [
  /(?<=^|\n)([^\n]*?)\s\.\.\.\sTesting against Django installed in ([\s\S]*?) silenced\)\.\nok(?=\n|$)/g,
  /(?<=^|\n)([^\n]*?)\s\.\.\.\sInternal Server Error: \/([^\n]*)\/\nok(?=\n|$)/g,
  /(?<=^|\n)([^\n]*?)\s\.\.\.\sSystem check identified no issues \(0 silenced\)\nok(?=\n|$)/g,
];

/**
 * unittest verbose output: `test_x (module.Class) ... ok`, and a docstring's first line when the
 * test has one (the dataset's ids are those lines). `FAIL:`/`ERROR:` headers, a lone `ok` line
 * after interleaved output, and the harness's special cases are handled as it does.
 */
export function parseDjangoLog(log: string): StatusMap {
  const statuses: StatusMap = new Map();
  let previousTest: string | undefined;
  for (const raw of log.split("\n")) {
    let line = stripWhitespace(raw);
    if (line.includes("--version is equivalent to version"))
      statuses.set("--version is equivalent to version", "PASSED");
    if (line.includes(" ... ")) previousTest = line.split(" ... ")[0];
    for (const suffix of PASS_SUFFIXES) {
      if (!line.endsWith(suffix)) continue;
      // The harness's fix for django__django-7188: a migration message shares the line.
      if (line.startsWith("Applying sites.0002_alter_domain_unique...test_no_migrations")) {
        line = stripWhitespace(line.split("...").slice(1).join("..."));
      }
      statuses.set(line.slice(0, line.lastIndexOf(suffix)), "PASSED");
      break;
    }
    if (line.includes(" ... skipped")) statuses.set(line.split(" ... skipped")[0] ?? "", "SKIPPED");
    if (line.endsWith(" ... FAIL")) statuses.set(line.split(" ... FAIL")[0] ?? "", "FAILED");
    if (line.startsWith("FAIL:")) statuses.set(stripWhitespace(splitWords(line)[1] ?? ""), "FAILED");
    if (line.endsWith(" ... ERROR")) statuses.set(line.split(" ... ERROR")[0] ?? "", "ERROR");
    if (line.startsWith("ERROR:")) statuses.set(stripWhitespace(splitWords(line)[1] ?? ""), "ERROR");
    if (line.startsWith("ok") && previousTest !== undefined) statuses.set(previousTest, "PASSED");
  }
  for (const pattern of INTERRUPTED_PASSES) {
    for (const match of log.matchAll(pattern)) statuses.set(match[1] ?? "", "PASSED");
  }
  return statuses;
}
