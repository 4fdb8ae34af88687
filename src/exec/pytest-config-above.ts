import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** pytest's configuration files, each with the section that makes it count (none: it always counts). */
const CONFIG_FILES: [string, RegExp | undefined][] = [
  ["pytest.ini", undefined],
  [".pytest.ini", undefined],
  ["pytest.toml", undefined],
  ["pyproject.toml", /^\[tool\.pytest(\.ini_options)?\]/m],
  ["tox.ini", /^\[pytest\]/m],
  ["setup.cfg", /^\[tool:pytest\]/m],
];

/**
 * The first pytest configuration file in `dir` or a folder above it, as pytest itself looks for one:
 * for a repository with no configuration of its own, pytest takes that file's options (addopts such
 * as `-x`, `filterwarnings = error`) into the test runs, where the harness's /testbed has nothing
 * above it. Undefined when there is none.
 */
export function findPytestConfigAbove(dir: string): string | undefined {
  let current = resolve(dir);
  for (;;) {
    for (const [name, section] of CONFIG_FILES) {
      const path = join(current, name);
      if (!existsSync(path)) continue;
      try {
        if (!section || section.test(readFileSync(path, "utf8"))) return path;
      } catch {
        // A folder or an unreadable file: pytest would not use it either.
      }
    }
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}
