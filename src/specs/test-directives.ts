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

// The harness's own pattern: greedy, so a header is split at its last " b/".
const DIFF_HEADER = /diff --git a\/.* b\/(.*)/g;

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

/** The test command exactly as the official eval script runs it: test_cmd, then the directives. */
export function testCommand(instance: Pick<Instance, "repo" | "version" | "extra" | "test_patch">): string {
  return [specFor(instance).test_cmd, ...testDirectives(instance)].join(" ");
}
