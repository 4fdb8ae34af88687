import type { RepositoryFileReader } from "./spec-requirements.js";

/**
 * What building the repository needs besides setuptools and wheel, read at its environment setup
 * commit: `pyproject.toml`'s `[build-system] requires`, `setup.cfg`'s `setup_requires` and a literal
 * `setup_requires=[…]` in `setup.py`. Under `--backend isolated` each test run installs the checkout
 * with no network and build isolation off, so these must already be in the shared environment
 * (cython, numpy, extension-helpers, setuptools_scm, …). Best effort: what cannot be read is left out,
 * and the per-run install then fails with the build's own lines.
 */
export async function buildRequirements(read: RepositoryFileReader): Promise<string[]> {
  const [pyproject, setupCfg, setupPy] = await Promise.all([
    read("pyproject.toml"),
    read("setup.cfg"),
    read("setup.py"),
  ]);
  const found = [
    ...buildSystemRequires(pyproject ?? ""),
    ...setupCfgRequires(setupCfg ?? ""),
    ...setupPyRequires(setupPy ?? ""),
  ];
  return [...new Set(found.map((requirement) => requirement.trim()).filter(Boolean))];
}

/** `requires = ["setuptools>=42", "cython"]` under `[build-system]` (one or several lines). */
export function buildSystemRequires(pyproject: string): string[] {
  const section = /^\[build-system\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(pyproject)?.[1] ?? "";
  const list = /^\s*requires\s*=\s*\[([\s\S]*?)\]/m.exec(section)?.[1];
  return list ? quotedStrings(withoutComments(list)) : [];
}

/** `setup_requires = cython` or indented lines after it, in `setup.cfg`'s `[options]`. */
export function setupCfgRequires(setupCfg: string): string[] {
  const section = /^\[options\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(setupCfg)?.[1] ?? "";
  const match = /^setup_requires\s*=[ \t]*(.*)$((?:\n[ \t]+\S.*$)*)/m.exec(section);
  if (!match) return [];
  return `${match[1]}\n${match[2]}`
    .split(/[\n;]/)
    .map((line) => line.replace(/#.*/, "").trim())
    .filter(Boolean);
}

/** A literal `setup_requires=["numpy", …]` in `setup.py` (a variable or a computed list is not followed). */
export function setupPyRequires(setupPy: string): string[] {
  const list = /\bsetup_requires\s*=\s*\[([^\]]*)\]/.exec(setupPy)?.[1];
  return list ? quotedStrings(withoutComments(list)) : [];
}

const withoutComments = (text: string) => text.replace(/#.*$/gm, "");

function quotedStrings(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|'([^']*)'/g)].map((match) => match[1] ?? match[2] ?? "");
}
