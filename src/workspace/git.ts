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
 * The user's and the machine's git config left out (`~/.gitconfig`, `/etc/gitconfig`): settings such
 * as `diff.noprefix`, `core.autocrlf` or `apply.whitespace` change the diffs swegate writes and how
 * patches apply, and the harness runs with none of them. Fetching and cloning keep them (proxies,
 * credentials, `url.insteadOf`).
 */
export const GIT_CONFIG_ISOLATION = { GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" };

/**
 * Runs git (without a shell parsing its arguments) and returns the outcome as a value. Calls go
 * through a pool of long-lived shells (`runShellCommand`): forking the Node process for each of the
 * ~10 git calls an instance makes was most of swegate's own cost per instance.
 */
export function git(
  args: string[],
  options: {
    cwd: string;
    input?: string;
    env?: Record<string, string>;
    /** Read the user's and the machine's git config (for network operations only). */
    userConfig?: boolean;
  },
): Promise<GitResult> {
  return runShellCommand("git", args, {
    cwd: options.cwd,
    input: options.input,
    env: { ...GIT_ENVIRONMENT, ...(options.userConfig ? {} : GIT_CONFIG_ISOLATION), ...options.env },
  });
}

/** Same, but a failure is a bug or bad input: throws with git's message. */
export async function gitOrThrow(args: string[], options: { cwd: string; input?: string }): Promise<string> {
  const result = await git(args, options);
  if (result.code !== 0)
    throw new Error(`git ${args.join(" ")} failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}
