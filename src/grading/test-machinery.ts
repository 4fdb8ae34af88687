import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Instance } from "../dataset/instance.js";
import { git } from "../workspace/git.js";
import { listPatchPaths } from "../workspace/snapshot-paths.js";
import { listAddedLines } from "./scan-patch.js";

/**
 * Files that decide how tests are collected, run or reported rather than what they test. A candidate
 * patch that touches one could make failing tests look passing (a `conftest.py` hook rewriting
 * outcomes, a `sitecustomize.py` patching the runner, an `addopts` that deselects), so it is refused
 * before any test runs.
 */
const MACHINERY_NAMES = new Set(["conftest.py", "sitecustomize.py", "usercustomize.py"]);

/** Per repository, the test runner's own files that the harness's test command executes. */
const RUNNER_FILES: Record<string, string[]> = {
  "django/django": ["tests/runtests.py", "tests/test_sqlite.py"],
  "sympy/sympy": ["bin/test", "sympy/utilities/runtests.py", "sympy/testing/runtests.py"],
};

/** Config files and the sections of them that configure pytest or tox. */
const CONFIG_SECTIONS: Record<string, RegExp> = {
  "pytest.ini": /.*/,
  ".pytest.ini": /.*/,
  "tox.ini": /^(pytest|tox|tox:.*|testenv.*)$/,
  "setup.cfg": /^(tool:pytest|pytest)$/,
  "pyproject.toml": /^tool\.(pytest|tox)\b.*$/,
};

/**
 * Why a candidate patch may not be tested: each entry names a file it changes that belongs to the
 * test machinery, and what that file does. Exempt are files the instance's test_patch also
 * touches (the green gate puts them back to base before the tests run) and files its gold patch
 * touches (a dataset whose reference fix edits such a file still validates, and a model may make
 * the same edit). `dir` holds the candidate applied on `base_commit`; config files are compared
 * section by section with the base, so a change elsewhere in `setup.cfg` or `pyproject.toml` passes.
 */
export async function findTestMachineryEdits(options: {
  dir: string;
  instance: Pick<Instance, "repo" | "base_commit" | "patch" | "test_patch">;
  patch: string;
}): Promise<string[]> {
  const { instance } = options;
  const exempt = new Set([...listPatchPaths(instance.test_patch), ...listPatchPaths(instance.patch)]);
  const reasons: string[] = [];
  for (const path of listPatchPaths(options.patch)) {
    if (exempt.has(path)) continue;
    const name = basename(path);
    if (MACHINERY_NAMES.has(name))
      reasons.push(`${path}: ${name} changes how tests are collected, run or reported`);
    else if (name.endsWith(".pth")) reasons.push(`${path}: a .pth file runs code whenever Python starts`);
    else if (RUNNER_FILES[instance.repo]?.includes(path))
      reasons.push(`${path}: the test runner the grading runs`);
    else if (CONFIG_SECTIONS[name] && (await configSectionsDiffer(options.dir, instance.base_commit, path)))
      reasons.push(`${path}: changes its pytest/tox configuration`);
  }
  // pytest_plugins is judged by line, not by file: a gold patch editing the same module does not
  // permit it, only test_patch files (reset) or a gold patch that declares plugins itself.
  const goldDeclaresPlugins = addedPluginLines(instance.patch, new Set()).length > 0;
  const resetPaths = new Set(listPatchPaths(instance.test_patch));
  for (const added of goldDeclaresPlugins ? [] : addedPluginLines(options.patch, resetPaths))
    reasons.push(`${added.path}: declares pytest_plugins (loads code into the test runner)`);
  return reasons;
}

/** Python files outside `exempt` to which a patch adds a line setting `pytest_plugins`. */
function addedPluginLines(patch: string, exempt: Set<string>): { path: string }[] {
  const paths = listAddedLines(patch)
    .filter(({ path, code }) => /\bpytest_plugins\b/.test(code) && path.endsWith(".py") && !exempt.has(path))
    .map(({ path }) => path);
  return [...new Set(paths)].map((path) => ({ path }));
}

/** True when the pytest/tox sections of `path` differ between base_commit and the checkout. */
async function configSectionsDiffer(dir: string, baseCommit: string, path: string): Promise<boolean> {
  const pattern = CONFIG_SECTIONS[basename(path)] ?? /.*/;
  const before = await git(["show", `${baseCommit}:${path}`], { cwd: dir });
  const after = await readFile(join(dir, path), "utf8").catch(() => "");
  const beforeText = before.code === 0 ? before.stdout : "";
  return testSections(beforeText, pattern) !== testSections(after, pattern);
}

/**
 * The text of the sections whose name matches (`[tool:pytest]`, `[tool.pytest.ini_options]`, …),
 * with blank lines and comments dropped. A file without section headers (pytest.ini's `[pytest]`
 * is a header too) counts as one unnamed section, kept only by a pattern that matches the empty name.
 */
export function testSections(text: string, pattern: RegExp): string {
  const kept: string[] = [];
  let keep = pattern.test("");
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^\[+\s*([^\]]+?)\s*\]+$/.exec(line);
    if (header) keep = pattern.test(header[1] ?? "");
    if (keep && line && !line.startsWith("#") && !line.startsWith(";")) kept.push(line);
  }
  return kept.join("\n");
}
