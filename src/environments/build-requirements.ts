import type { RepositoryFileReader } from "./spec-requirements.js";

/**
 * What building the repository needs besides setuptools and wheel, read at its environment setup
 * commit: `pyproject.toml`'s `[build-system] requires`, `setup.cfg`'s `setup_requires` and a literal
 * `setup_requires=[…]` in `setup.py`. Under `--backend isolated` each test run installs the checkout
 * with no network and build isolation off, so these must already be in the shared environment
 * (cython, numpy, extension-helpers, setuptools_scm, …). Best effort: what cannot be read is left out,
 * and the per-run install then fails with the build's own lines.
 */
export function buildRequirements(read: RepositoryFileReader): Promise<string[]> {
  return declaredRequirements(read, (files) => [
    ...buildSystemRequires(files.pyproject),
    ...setupCfgRequires(files.setupCfg),
    ...setupPyRequires(files.setupPy),
  ]);
}

/** What `pick` finds in the repository's three packaging files (absent ones read as empty), each once. */
async function declaredRequirements(
  read: RepositoryFileReader,
  pick: (files: { pyproject: string; setupCfg: string; setupPy: string }) => string[],
): Promise<string[]> {
  const [pyproject, setupCfg, setupPy] = await Promise.all(
    ["pyproject.toml", "setup.cfg", "setup.py"].map(async (path) => (await read(path)) ?? ""),
  );
  const found = pick({ pyproject: pyproject ?? "", setupCfg: setupCfg ?? "", setupPy: setupPy ?? "" });
  return [...new Set(found.map((requirement) => requirement.trim()).filter(Boolean))];
}

/** `requires = ["setuptools>=42", "cython"]` under `[build-system]` (one or several lines). */
export function buildSystemRequires(pyproject: string): string[] {
  const section = /^\[build-system\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(pyproject)?.[1] ?? "";
  const list = /^\s*requires\s*=\s*\[([\s\S]*?)\]/m.exec(section)?.[1];
  return list ? quotedStrings(withoutComments(list)) : [];
}

/**
 * What the repository itself needs at run time, as it declares it without running code:
 * `setup.cfg`'s `install_requires`, `pyproject.toml`'s `[project] dependencies` and a literal
 * `install_requires=[…]` in `setup.py`. Under `--backend isolated` those of a base commit that the
 * shared environment (built at the setup commit) does not satisfy are put into its checkout's layer
 * before the offline install (pylint 2.13's base commit wants an older astroid than its setup commit).
 */
export function runtimeRequirements(read: RepositoryFileReader): Promise<string[]> {
  return declaredRequirements(read, (files) => [
    ...projectDependencies(files.pyproject),
    ...setupCfgRequires(files.setupCfg, "install_requires"),
    ...setupPyRequires(files.setupPy, "install_requires"),
  ]);
}

/** `dependencies = ["numpy>=1.20", …]` under `[project]`. */
export function projectDependencies(pyproject: string): string[] {
  const section = /^\[project\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(pyproject)?.[1] ?? "";
  const list = /^\s*dependencies\s*=\s*\[([\s\S]*?)\]/m.exec(section)?.[1];
  return list ? quotedStrings(withoutComments(list)) : [];
}

/** `setup_requires = cython` (or another key) or indented lines after it, in `setup.cfg`'s `[options]`. */
export function setupCfgRequires(setupCfg: string, key = "setup_requires"): string[] {
  const section = /^\[options\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(setupCfg)?.[1] ?? "";
  const match = new RegExp(`^${key}\\s*=[ \\t]*(.*)$((?:\\n[ \\t]+\\S.*$)*)`, "m").exec(section);
  if (!match) return [];
  // One requirement a line; `;` also separates `setup_requires`, but starts a marker in `install_requires`.
  return `${match[1]}\n${match[2]}`
    .split(key === "install_requires" ? /\n/ : /[\n;]/)
    .map((line) => line.replace(/#.*/, "").trim())
    .filter(Boolean);
}

/**
 * A literal `setup_requires=["numpy", …]` (or another key) in `setup.py` (a variable or a computed
 * list is not followed).
 */
export function setupPyRequires(setupPy: string, key = "setup_requires"): string[] {
  const list = new RegExp(`\\b${key}\\s*=\\s*\\[([^\\]]*)\\]`).exec(setupPy)?.[1];
  return list ? quotedStrings(withoutComments(list)) : [];
}

const withoutComments = (text: string) => text.replace(/#.*$/gm, "");

function quotedStrings(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|'([^']*)'/g)].map((match) => match[1] ?? match[2] ?? "");
}
