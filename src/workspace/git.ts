import { runShellCommand } from "../exec/shell-pool.js";

export interface GitResult {
  /** Exit code (0 on success). */
  code: number;
  stdout: string;
  stderr: string;
}

/** Git's prompts and pagers off and a fixed identity, so results do not depend on the user's git config. */
const GIT_ENVIRONMENT = {
  GIT_TERMINAL_PROMPT: "0",
  GIT_PAGER: "cat",
  GIT_AUTHOR_NAME: "swegate",
  GIT_AUTHOR_EMAIL: "swegate@localhost",
  GIT_COMMITTER_NAME: "swegate",
  GIT_COMMITTER_EMAIL: "swegate@localhost",
};

/**
 * Runs git (without a shell parsing its arguments) and returns the outcome as a value. Calls go
 * through a pool of long-lived shells (`runShellCommand`): forking the Node process for each of the
 * ~10 git calls an instance makes was most of swegate's own cost per instance.
 */
export function git(
  args: string[],
  options: { cwd: string; input?: string; env?: Record<string, string> },
): Promise<GitResult> {
  return runShellCommand("git", args, {
    cwd: options.cwd,
    input: options.input,
    env: { ...GIT_ENVIRONMENT, ...options.env },
  });
}

/** Same, but a failure is a bug or bad input: throws with git's message. */
export async function gitOrThrow(args: string[], options: { cwd: string; input?: string }): Promise<string> {
  const result = await git(args, options);
  if (result.code !== 0)
    throw new Error(`git ${args.join(" ")} failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}
