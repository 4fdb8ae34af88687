import type { Instance } from "../dataset/instance.js";
import { specFor } from "./spec-for.js";

/** Files the harness never passes to the test runner (its NON_TEST_EXTS; note `csv` has no dot there). */
export const NON_TEST_EXTENSIONS = [
  ".json",
  ".png",
  "csv",
  ".txt",
  ".md",
  ".jpg",
  ".jpeg",
  ".pkl",
  ".yml",
  ".yaml",
  ".toml",
];

// The harness's own pattern (`diff --git a/.* b/(.*)`, unanchored): greedy, so a header is split at
// its last " b/". Python's `.` stops only at "\n", so a CRLF patch keeps its "\r" as the harness does.
// listPatchFiles splits such headers more carefully, which is why it is not used here: the
// directives must be the harness's, quirks included.
const DIFF_HEADER = /diff --git a\/[^\n]* b\/([^\n]*)/g;

/**
 * What the harness passes to the test command: the `b/` paths of test_patch's `diff --git`
 * headers minus non-test files; Django turns `tests/a/b.py` into the label `a.b`.
 */
export function testDirectives(instance: Pick<Instance, "repo" | "test_patch">): string[] {
  if (instance.repo === "swe-bench/humaneval") return ["test.py"];
  const directives = [...instance.test_patch.matchAll(DIFF_HEADER)]
    .map((match) => match[1] ?? "")
    .filter((path) => !NON_TEST_EXTENSIONS.some((extension) => path.endsWith(extension)));
  if (instance.repo !== "django/django") return directives;
  return directives.map((path) => {
    let label = path.endsWith(".py") ? path.slice(0, -3) : path;
    if (label.startsWith("tests/")) label = label.slice("tests/".length);
    return label.replaceAll("/", ".");
  });
}

const START_LINE = ": '>>>>> Start Test Output'";
const END_LINE = ": '>>>>> End Test Output'";

/**
 * The test command inside a v5 row's `eval_script`: the lines between the start/end marker lines
 * (joined by newlines), or undefined when the script has no such markers.
 */
export function testCommandFromEvalScript(evalScript: string): string | undefined {
  const lines = evalScript.split("\n").map((line) => line.replace(/\r$/, ""));
  const start = lines.indexOf(START_LINE);
  const end = lines.indexOf(END_LINE, start + 1);
  if (start < 0 || end < 0) return undefined;
  const command = lines
    .slice(start + 1, end)
    .join("\n")
    .trim();
  return command || undefined;
}

/**
 * The test command exactly as the official eval script runs it: test_cmd, then the directives. A row
 * with its own `eval_script` and no `test_cmd` (v5 rows) runs the command written in that script.
 */
export function testCommand(instance: Pick<Instance, "repo" | "version" | "extra" | "test_patch">): string {
  const { test_cmd: ownCommand, eval_script: evalScript } = instance.extra;
  if (typeof ownCommand !== "string" && typeof evalScript === "string") {
    const fromScript = testCommandFromEvalScript(evalScript);
    if (fromScript) return fromScript;
  }
  const spec = specFor(instance);
  if (!spec.takes_directives) return spec.test_cmd;
  return [spec.test_cmd, ...testDirectives(instance)].join(" ");
}
