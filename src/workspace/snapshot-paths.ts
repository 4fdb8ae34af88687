import {
  chmod,
  lstat,
  mkdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { dirname, isAbsolute, join, normalize, relative, resolve } from "node:path";
import { git } from "./git.js";
import { listPatchFiles } from "./list-patch-files.js";

type SavedPath =
  | { kind: "absent"; firstMissingDir: string | undefined }
  | { kind: "file"; content: Buffer; mode: number }
  | { kind: "symlink"; target: string }
  | { kind: "directory" };

/** The state of some paths of a workspace and of its git index, to be put back after a failed try. */
export interface PathSnapshot {
  /** Workspace folder. */
  dir: string;
  /** Saved state per path relative to `dir`. */
  paths: Map<string, SavedPath>;
  /** Absolute path of the git index file, when `dir` is in a git checkout. */
  indexPath: string | undefined;
  /** The index file's bytes, or undefined when there was none. */
  index: Buffer | undefined;
  /** The index file's modification time (ns): git's racy-entry check compares cached times with it. */
  indexMtimeNs?: bigint;
}

/**
 * Every path a patch names: `diff --git` headers and `---`/`+++` headers with one leading component
 * stripped (`patch -p1` reads only the latter, and model-written diffs often lack the former).
 */
export function listPatchPaths(patch: string): string[] {
  const paths = new Set<string>();
  for (const file of listPatchFiles(patch)) paths.add(file.path).add(file.oldPath);
  const lines = patch.split("\n");
  lines.forEach((line, index) => {
    // A file header is a `---` line, then `+++`, then a hunk: removed/added lines inside a hunk that
    // happen to start with `-- `/`++ ` are not followed by that shape.
    if (
      !line.startsWith("--- ") ||
      !lines[index + 1]?.startsWith("+++ ") ||
      !lines[index + 2]?.startsWith("@@")
    )
      return;
    for (const header of [line, lines[index + 1] ?? ""]) {
      const name = /^(?:---|\+\+\+) ([^\t\r]+)/.exec(header)?.[1]?.trim();
      if (!name || name === "/dev/null" || name.startsWith('"')) continue;
      const stripped = name.split("/").slice(1).join("/");
      if (stripped) paths.add(stripped);
    }
  });
  return [...paths];
}

/**
 * Every path an apply method may write for this patch: the paths it names plus the `.rej` and `.orig`
 * files that `git apply --reject` and `patch` leave beside them. Over-inclusion is harmless (an
 * untouched path is restored to what it already is). Normalised (`./a//b` is `a/b`), so lists of two
 * patches can be compared.
 */
export function listTouchedPaths(patch: string): string[] {
  return listPatchPaths(patch)
    .map((path) => normalize(path))
    .flatMap((path) => [path, `${path}.rej`, `${path}.orig`]);
}

/** Saves `paths` (relative to `dir`; those resolving outside it are ignored) and the git index. */
export async function snapshotPaths(workspace: string, paths: string[]): Promise<PathSnapshot> {
  const dir = resolve(workspace);
  const saved = new Map<string, SavedPath>();
  for (const path of paths) {
    const full = resolve(dir, path);
    const inside = relative(dir, full);
    if (!inside || inside.startsWith("..") || isAbsolute(inside)) continue;
    saved.set(inside, await savePath(dir, full));
  }
  const indexPath = await gitIndexPath(dir);
  const index = indexPath ? await readFile(indexPath).catch(() => undefined) : undefined;
  const indexMtimeNs = index && indexPath ? (await stat(indexPath, { bigint: true })).mtimeNs : undefined;
  return { dir, paths: saved, indexPath, index, indexMtimeNs };
}

/**
 * Puts the saved paths and index back exactly: contents, modes, links; files that were absent are
 * deleted. Paths that did not change are left alone, and the index's cached file times are refreshed
 * afterwards: a restored file with a new mtime would otherwise make `git apply --3way` (which checks
 * the index) refuse it as "does not match index".
 */
export async function restorePaths(snapshot: PathSnapshot): Promise<void> {
  let rewritten = false;
  for (const [path, state] of snapshot.paths) {
    const full = join(snapshot.dir, path);
    if (state.kind === "directory" || isUnchanged(state, await savePath(snapshot.dir, full))) continue;
    rewritten = true;
    await rm(full, { recursive: true, force: true });
    if (state.kind === "absent") {
      if (state.firstMissingDir) await rm(state.firstMissingDir, { recursive: true, force: true });
      continue;
    }
    // A try that deleted the last file of a folder also deleted the folder (git apply does).
    await mkdir(dirname(full), { recursive: true });
    if (state.kind === "symlink") await symlink(state.target, full);
    else {
      await writeFile(full, state.content);
      await chmod(full, state.mode);
    }
  }
  if (snapshot.indexPath) {
    const current = await readFile(snapshot.indexPath).catch(() => undefined);
    if (snapshot.index && !current?.equals(snapshot.index)) {
      await writeFile(snapshot.indexPath, snapshot.index);
      // The old bytes with their old time.
      if (snapshot.indexMtimeNs !== undefined)
        await stampIndexTime(snapshot.indexPath, snapshot.indexMtimeNs);
    } else if (!snapshot.index && current) await rm(snapshot.indexPath, { force: true });
    if (rewritten) await runGit(snapshot.dir, ["update-index", "-q", "--refresh"]);
  }
}

function isUnchanged(saved: SavedPath, now: SavedPath): boolean {
  if (saved.kind === "file" && now.kind === "file")
    return saved.mode === now.mode && saved.content.equals(now.content);
  if (saved.kind === "symlink" && now.kind === "symlink") return saved.target === now.target;
  return saved.kind === "absent" && now.kind === "absent";
}

async function savePath(dir: string, full: string): Promise<SavedPath> {
  const stats = await lstat(full).catch(() => undefined);
  if (!stats) return { kind: "absent", firstMissingDir: await findFirstMissingDir(dir, full) };
  if (stats.isSymbolicLink()) return { kind: "symlink", target: await readlink(full) };
  if (stats.isDirectory()) return { kind: "directory" };
  return { kind: "file", content: await readFile(full), mode: stats.mode & 0o7777 };
}

/** The outermost missing folder above `full`: a try that creates the file creates it, so restore deletes it. */
async function findFirstMissingDir(dir: string, full: string): Promise<string | undefined> {
  let missing: string | undefined;
  for (let folder = dirname(full); folder.length > dir.length; folder = dirname(folder)) {
    if (await lstat(folder).catch(() => undefined)) break;
    missing = folder;
  }
  return missing;
}

/**
 * Stamps an index file (a restored or copied one) with the original index's time, a microsecond
 * earlier and never later: git re-reads files whose cached time is not older than the index's
 * ("racily clean"), so a fresh stamp would let a same-size edit from that second pass as unchanged.
 */
export async function stampIndexTime(path: string, mtimeNs: bigint): Promise<void> {
  const seconds = Number(mtimeNs - 1000n) / 1e9;
  await utimes(path, seconds, seconds);
}

const indexPaths = new Map<string, string>();

/**
 * Absolute path of the git index of the checkout at `dir`, or undefined outside git. A checkout's
 * index never moves, so the answer is remembered per folder (workspace folders are never reused
 * for another repository).
 */
export async function gitIndexPath(dir: string): Promise<string | undefined> {
  const known = indexPaths.get(dir);
  if (known) return known;
  const path = (await runGit(dir, ["rev-parse", "--path-format=absolute", "--git-path", "index"]))?.trim();
  if (path) indexPaths.set(dir, path);
  return path;
}

async function runGit(dir: string, args: string[]): Promise<string | undefined> {
  const result = await git(args, { cwd: dir });
  return result.code === 0 ? result.stdout : undefined;
}
