import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { git, gitOrThrow } from "./git.js";
import { listPatchFiles } from "./list-patch-files.js";

/** The SWE-bench harness's patch application chain, tried in this order (DESIGN.md). */
export const APPLY_METHODS = [
  "git apply",
  "git apply --3way",
  "git apply --reject",
  "patch --fuzz=5",
] as const;
export type ApplyMethod = (typeof APPLY_METHODS)[number];

export type PatchApplyResult =
  | { ok: true; method: ApplyMethod | "empty"; output: string }
  | { ok: false; reason: string; tries: { method: ApplyMethod; output: string }[] };

/**
 * Applies a unified diff to a clean workspace with the harness's chain — `git apply -v`, then
 * `--3way`, then `--reject`, then `patch --batch --forward --fuzz=5 -p1` — resetting the workspace
 * to its state before the call between tries. The workspace's existing changes are kept (they are
 * committed to a temporary stash object and restored after each failed try).
 */
export async function applyPatch(dir: string, patch: string): Promise<PatchApplyResult> {
  if (!patch.trim()) return { ok: true, method: "empty", output: "" };
  const text = patch.endsWith("\n") ? patch : `${patch}\n`;
  const checkpoint = await snapshot(dir);
  const tries: { method: ApplyMethod; output: string }[] = [];
  for (const method of APPLY_METHODS) {
    const { code, output } = await runMethod(dir, method, text);
    // `--reject` exits non-zero when any hunk was rejected: that is a failed try.
    if (code === 0) return { ok: true, method, output };
    tries.push({ method, output });
    await restore(dir, checkpoint);
  }
  const last = tries.at(-1)?.output.trim().split("\n").slice(-3).join(" ") ?? "";
  return { ok: false, reason: `no method in the chain applied the patch (${last})`, tries };
}

async function runMethod(
  dir: string,
  method: ApplyMethod,
  patch: string,
): Promise<{ code: number; output: string }> {
  if (method === "patch --fuzz=5") {
    return runWithInput("patch", ["--batch", "--forward", "--fuzz=5", "-p1"], dir, patch);
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
    child.stdin.end(input);
  });
}

interface Checkpoint {
  /** Commit-like object holding tracked changes and untracked files, or null for a clean tree. */
  stash: string | null;
}

async function snapshot(dir: string): Promise<Checkpoint> {
  const status = await gitOrThrow(["status", "--porcelain", "--untracked-files=all"], { cwd: dir });
  if (!status.trim()) return { stash: null };
  // `git stash create` ignores untracked files; add them to a throwaway index instead.
  const scratch = await mkdtemp(join(tmpdir(), "swegate-index-"));
  const env = { GIT_INDEX_FILE: join(scratch, "index") };
  try {
    await git(["read-tree", "HEAD"], { cwd: dir, env });
    await git(["add", "-A", "."], { cwd: dir, env });
    const tree = (await git(["write-tree"], { cwd: dir, env })).stdout.trim();
    return { stash: tree };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function restore(dir: string, checkpoint: Checkpoint): Promise<void> {
  await cleanTree(dir);
  if (checkpoint.stash) {
    await gitOrThrow(["read-tree", checkpoint.stash], { cwd: dir });
    await gitOrThrow(["checkout-index", "-a", "-f"], { cwd: dir });
    await gitOrThrow(["reset", "-q"], { cwd: dir });
  }
}

async function cleanTree(dir: string): Promise<void> {
  await gitOrThrow(["reset", "-q", "--hard", "HEAD"], { cwd: dir });
  await gitOrThrow(["clean", "-q", "-fdx"], { cwd: dir });
}

/** Back to a clean checkout of `baseCommit`: every change and untracked file gone. */
export async function resetToBase(dir: string, baseCommit: string): Promise<void> {
  await gitOrThrow(["reset", "-q", "--hard", baseCommit], { cwd: dir });
  await gitOrThrow(["clean", "-q", "-fdx"], { cwd: dir });
}

/**
 * Puts every file a patch touches back to `baseCommit` and deletes the files it creates — what
 * the green gate does before applying test_patch, so a candidate can never change the judging tests.
 */
export async function resetPatchFiles(dir: string, baseCommit: string, patch: string): Promise<void> {
  for (const file of listPatchFiles(patch)) {
    for (const path of new Set([file.path, file.oldPath])) {
      const existsAtBase = (await git(["cat-file", "-e", `${baseCommit}:${path}`], { cwd: dir })).code === 0;
      if (existsAtBase) await gitOrThrow(["checkout", baseCommit, "--", path], { cwd: dir });
      else await rm(join(dir, path), { force: true, recursive: true });
    }
  }
}
