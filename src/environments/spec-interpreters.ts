import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

/** An interpreter found on this machine. */
export interface Interpreter {
  /** Its real executable (`sys.executable`). */
  path: string;
  /** Minor version, `3.9`. */
  version: string;
}

/**
 * How far (in minor versions) the interpreter a spec environment is built from may be from the
 * spec's Python. One: the harness's pins are chosen for the spec's Python, and two minors away
 * (3.9 → 3.11) most pinned binary wheels no longer exist and old code meets removed modules.
 */
export const MAX_MINOR_DISTANCE = 1;

let found: Interpreter[] | undefined;

/**
 * Every Python 3 this machine has: `SWEGATE_SPEC_PYTHONS` (paths separated by `:`) when set, else
 * `python3` and `python3.N` on PATH, pyenv's versions and uv's managed Pythons (`uv python install 3.9`).
 * Each is asked for its version (a pyenv shim of an absent version fails and is left out).
 */
export function availableInterpreters(): Interpreter[] {
  if (found) return found;
  const listed = process.env.SWEGATE_SPEC_PYTHONS;
  const candidates = listed ? listed.split(":").filter(Boolean) : candidatePaths();
  const seen = new Map<string, Interpreter>();
  for (const candidate of candidates) {
    const interpreter = probeInterpreter(candidate);
    if (interpreter && !seen.has(interpreter.path)) seen.set(interpreter.path, interpreter);
  }
  found = [...seen.values()];
  return found;
}

/**
 * The interpreter nearest `wanted` (exact first, ties to the older: the spec's pins predate the newer
 * Python, whose wheels they often lack), or undefined when none is near enough.
 */
export function nearestInterpreter(wanted: string, interpreters: Interpreter[]): Interpreter | undefined {
  const ranked = interpreters
    .map((interpreter) => ({ interpreter, distance: minorDistance(interpreter.version, wanted) }))
    .filter((entry) => entry.distance <= MAX_MINOR_DISTANCE)
    .sort(
      (left, right) =>
        left.distance - right.distance ||
        minorDistance(left.interpreter.version, "3.0") - minorDistance(right.interpreter.version, "3.0"),
    );
  return ranked[0]?.interpreter;
}

function minorDistance(left: string, right: string): number {
  const [leftMajor = 3, leftMinor = 0] = left.split(".").map(Number);
  const [rightMajor = 3, rightMinor = 0] = right.split(".").map(Number);
  return Math.abs((leftMajor - rightMajor) * 100 + leftMinor - rightMinor);
}

function candidatePaths(): string[] {
  const paths: string[] = [];
  for (const dir of (process.env.PATH ?? "").split(delimiter).filter(Boolean)) {
    if (dir.includes("/.pyenv/shims")) continue; // shims stand for pyenv's versions, listed below
    for (const name of ["python3", ...Array.from({ length: 10 }, (_, index) => `python3.${index + 5}`)])
      if (existsSync(join(dir, name))) paths.push(join(dir, name));
  }
  const pyenv = join(process.env.PYENV_ROOT ?? join(homedir(), ".pyenv"), "versions");
  const uvManaged = process.env.UV_PYTHON_INSTALL_DIR ?? join(homedir(), ".local", "share", "uv", "python");
  for (const root of [pyenv, uvManaged])
    if (existsSync(root))
      for (const version of readdirSync(root)) paths.push(join(root, version, "bin", "python3"));
  return paths.filter((path) => existsSync(path));
}

/** The interpreter at `path` (or named on PATH) with its version, or undefined when it does not run. */
export function probeInterpreter(path: string): Interpreter | undefined {
  try {
    const [version, executable] = execFileSync(
      path,
      ["-c", "import sys; print('%d.%d' % sys.version_info[:2]); print(sys.executable)"],
      { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 10_000 },
    )
      .trim()
      .split("\n");
    if (!version?.startsWith("3.") || !executable) return undefined;
    return { path: executable, version };
  } catch {
    return undefined;
  }
}
