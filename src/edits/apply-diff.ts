import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { GIT_CONFIG_ISOLATION } from "../workspace/git.js";

/**
 * Applies a unified diff in the workspace: `git apply` in a git worktree, then `patch` with fuzz.
 * With `checkOnly`, says whether it would apply and changes nothing.
 */
export function applyDiff(
  root: string,
  diff: string,
  checkOnly = false,
): { ok: true } | { ok: false; reason: string } {
  const text = diff.endsWith("\n") ? diff : `${diff}\n`;
  const tries: [string, string[]][] = [];
  // `.git` is a folder in a clone and a file in a worktree; either way git applies the diff.
  if (existsSync(join(root, ".git"))) tries.push(["git", ["apply", "--recount", "--whitespace=nowarn", "-"]]);
  tries.push(["patch", ["--batch", "--forward", "--no-backup-if-mismatch", "-r", "-", "-p1", "--fuzz=3"]]);
  let first: string | undefined;
  for (const [command, args] of tries) {
    // --dry-run first: a half-applied patch would leave the tree in a state nobody asked for.
    const check =
      command === "git"
        ? spawnSync(command, [...args.slice(0, -1), "--check", "-"], {
            cwd: root,
            input: text,
            encoding: "utf8",
            env: { ...process.env, ...GIT_CONFIG_ISOLATION },
          })
        : spawnSync(command, ["--dry-run", ...args], { cwd: root, input: text, encoding: "utf8" });
    if (check.error) {
      first ??= `${command} is not available`;
      continue;
    }
    if (check.status !== 0) {
      first ??= (check.stderr || check.stdout).trim().split("\n")[0];
      continue;
    }
    if (checkOnly) return { ok: true };
    const run = spawnSync(command, args, {
      cwd: root,
      input: text,
      encoding: "utf8",
      env: { ...process.env, ...GIT_CONFIG_ISOLATION },
    });
    if (run.status === 0) return { ok: true };
    first ??= (run.stderr || run.stdout).trim().split("\n")[0];
  }
  return { ok: false, reason: `the diff does not apply: ${first ?? "unknown error"}` };
}
