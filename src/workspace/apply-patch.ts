import { spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import { git, gitOrThrow } from "./git.js";
import {
  listPatchPaths,
  listTouchedPaths,
  type PathSnapshot,
  restorePaths,
  snapshotPaths,
} from "./snapshot-paths.js";

/** The SWE-bench harness's patch application chain, tried in this order (ARCHITECTURE.md, "Harness facts"). */
export const APPLY_METHODS = [
  "git apply",
  "git apply --3way",
  "git apply --reject",
  "patch --fuzz=5",
] as const;
export type ApplyMethod = (typeof APPLY_METHODS)[number];

/** One method's try at a patch. */
export interface ApplyTry {
  /** Which method of the chain. */
  method: ApplyMethod;
  /** Its merged stdout and stderr. */
  output: string;
}

export type PatchApplyResult =
  | {
      /** The patch is applied. */
      ok: true;
      /** The method that applied it; "empty" for a patch with no content (nothing to apply). */
      method: ApplyMethod | "empty";
      /** That method's merged output. */
      output: string;
    }
  | {
      /** No method applied the patch; the workspace is as it was before the call. */
      ok: false;
      /** One line: why, with the last method's last lines. */
      reason: string;
      /** Every try, in chain order. */
      tries: ApplyTry[];
    };

/**
 * Applies a unified diff with the harness's chain — `git apply --verbose`, then `--3way`, then
 * `--reject`, then `patch --batch --forward --fuzz=5 -p1` — and returns which method applied it.
 *
 * Between tries, the paths the patch can touch (and their `.rej`/`.orig` neighbours) and the git index
 * are put back exactly as they were before the call, so changes made before the call survive and
 * files the patch does not name are never touched (not even ignored build products such as
 * `*.egg-info`, which a whole-tree `git clean -x` would delete). After a `--3way` success the index is
 * restored too: the change stays in the files, unstaged, like every other method leaves it.
 *
 * Two deliberate differences from the harness, neither changing which patches apply: `patch` gets
 * `--no-backup-if-mismatch` (a fuzzy success would otherwise leave `file.orig` in the workspace and in
 * its diff), and `--reject` counts as applied only when it exits 0, exactly like the harness — which
 * in practice never happens after plain `git apply` failed, so that step only ever reports.
 */
export async function applyPatch(dir: string, patch: string): Promise<PatchApplyResult> {
  if (!patch.trim()) return { ok: true, method: "empty", output: "" };
  const text = patch.endsWith("\n") ? patch : `${patch}\n`;
  const before = await snapshotPaths(dir, listTouchedPaths(text));
  const tries: ApplyTry[] = [];
  for (const method of APPLY_METHODS) {
    const { code, output } = await runMethod(dir, method, text);
    if (code === 0) {
      if (method === "git apply --3way" && before.indexPath) await restoreIndex(before);
      return { ok: true, method, output };
    }
    tries.push({ method, output });
    await restorePaths(before);
  }
  const last = tries.at(-1)?.output.trim().split("\n").slice(-3).join(" ") ?? "";
  return { ok: false, reason: `no method in the chain applied the patch (${last})`, tries };
}

/**
 * Applies two patches that touch disjoint files with one plain `git apply` — what applying them one
 * after the other with the chain's first method gives, in one process. `git apply` checks every file
 * before writing any, so when this returns false nothing was changed and the caller goes the long way.
 */
export async function applyDisjointPatches(dir: string, first: string, second: string): Promise<boolean> {
  if (!first.trim() || !second.trim()) return false;
  const firstPaths = new Set(listTouchedPaths(first));
  if (listTouchedPaths(second).some((path) => firstPaths.has(path))) return false;
  const text = (patch: string) => (patch.endsWith("\n") ? patch : `${patch}\n`);
  const { code } = await git(["apply", "--verbose", "-"], { cwd: dir, input: text(first) + text(second) });
  return code === 0;
}

async function restoreIndex(snapshot: PathSnapshot): Promise<void> {
  await restorePaths({ ...snapshot, paths: new Map() });
}

async function runMethod(
  dir: string,
  method: ApplyMethod,
  patch: string,
): Promise<{ code: number; output: string }> {
  if (method === "patch --fuzz=5") {
    const args = ["--batch", "--forward", "--fuzz=5", "-p1", "--no-backup-if-mismatch"];
    return runWithInput("patch", args, dir, patch);
  }
  const extra =
    method === "git apply --3way" ? ["--3way"] : method === "git apply --reject" ? ["--reject"] : [];
  const result = await git(["apply", "--verbose", ...extra, "-"], { cwd: dir, input: patch });
  return { code: result.code, output: result.stdout + result.stderr };
}

function runWithInput(
  command: string,
  args: string[],
  cwd: string,
  input: string,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", (error) => resolve({ code: 127, output: `${command}: ${error.message}` }));
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
    child.stdin.on("error", () => undefined);
    child.stdin.end(input);
  });
}

/**
 * Back to a clean checkout of `baseCommit`: every change and untracked or ignored file gone.
 * `read-tree --reset -u` is `reset --hard` without the ref updates (HEAD stays detached at base, and
 * writing HEAD, ORIG_HEAD and their logs made it the slowest git call of an instance).
 */
export async function resetToBase(dir: string, baseCommit: string): Promise<void> {
  await gitOrThrow(["read-tree", "--reset", "-u", baseCommit], { cwd: dir });
  await gitOrThrow(["clean", "-q", "-fdx"], { cwd: dir });
}

/**
 * Puts every file a patch names back to `baseCommit` and deletes the files it creates — what the
 * green gate does before applying test_patch, so a candidate can never change the judging tests.
 * Paths that resolve outside `dir` are ignored, and so are those `only` rejects (e.g. files the
 * candidate cannot have touched on a checkout just reset to base). Two git calls at most.
 */
export async function resetPatchFiles(
  dir: string,
  baseCommit: string,
  patch: string,
  only: (path: string) => boolean = () => true,
): Promise<void> {
  const root = resolve(dir);
  const paths = listPatchPaths(patch)
    .map((path) => relative(root, resolve(root, path)))
    .filter((inside) => inside && !inside.startsWith("..") && !isAbsolute(inside) && only(inside));
  if (paths.length === 0) return;
  const listed = await gitOrThrow(
    ["--literal-pathspecs", "ls-tree", "-z", "--name-only", baseCommit, "--", ...paths],
    {
      cwd: root,
    },
  );
  const atBase = new Set(listed.split("\0").filter(Boolean));
  const restore = paths.filter((path) => atBase.has(path));
  if (restore.length > 0)
    await gitOrThrow(["--literal-pathspecs", "checkout", "-q", baseCommit, "--", ...restore], { cwd: root });
  for (const path of paths.filter((path) => !atBase.has(path)))
    await rm(join(root, path), { force: true, recursive: true });
}
