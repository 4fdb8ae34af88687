import { existsSync, lstatSync, realpathSync } from "node:fs";
import { isAbsolute, join, normalize, sep } from "node:path";

/** Where a model-given path may be written, or why not. */
export type ConfinedPath = { ok: true; absolute: string } | { ok: false; reason: string };

/**
 * Resolves a model-given path inside the workspace. Refused: absolute paths, `..` that leaves the
 * workspace, anything under `.git` (hooks there would run on the host), and a symbolic link anywhere
 * on the way (a link can point outside the workspace, and a later link swap would escape a check of
 * the resolved target).
 */
export function confinePath(root: string, path: string): ConfinedPath {
  if (path === "" || path.includes("\0"))
    return { ok: false, reason: "the path is empty or not a file name" };
  if (isAbsolute(path) || /^[A-Za-z]:[\\/]/.test(path))
    return { ok: false, reason: "absolute paths are not allowed" };
  const normalized = normalize(path.replace(/\\/g, "/"));
  const parts = normalized.split(sep).filter((part) => part !== "" && part !== ".");
  if (parts.includes("..")) return { ok: false, reason: "the path leaves the workspace" };
  if (parts.length === 0) return { ok: false, reason: "the path names the workspace itself" };
  if (parts.some((part) => part.toLowerCase() === ".git"))
    return { ok: false, reason: "writing into .git is not allowed" };
  let current = root;
  for (const part of parts) {
    current = join(current, part);
    if (existsSync(current) || isDanglingLink(current)) {
      if (lstatSync(current).isSymbolicLink()) return { ok: false, reason: `${part} is a symbolic link` };
    }
  }
  return { ok: true, absolute: join(realpathSync(root), ...parts) };
}

/** existsSync follows links, so a link to nowhere looks absent; lstat sees it. */
function isDanglingLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
