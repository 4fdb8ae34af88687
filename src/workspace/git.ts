import { execFile } from "node:child_process";

export interface GitResult {
  /** Exit code (0 on success). */
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs git without a shell and returns the outcome as a value. Git's own prompts and pagers are
 * off and the committer identity is fixed, so results do not depend on the user's git config.
 */
export function git(
  args: string[],
  options: { cwd: string; input?: string; env?: Record<string, string> },
): Promise<GitResult> {
  return new Promise((resolve) => {
    const child = execFile(
      "git",
      args,
      {
        cwd: options.cwd,
        maxBuffer: 512 * 1024 * 1024,
        env: {
          ...process.env,
          GIT_TERMINAL_PROMPT: "0",
          GIT_PAGER: "cat",
          GIT_AUTHOR_NAME: "swegate",
          GIT_AUTHOR_EMAIL: "swegate@localhost",
          GIT_COMMITTER_NAME: "swegate",
          GIT_COMMITTER_EMAIL: "swegate@localhost",
          ...options.env,
        },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Same, but a failure is a bug or bad input: throws with git's message. */
export async function gitOrThrow(args: string[], options: { cwd: string; input?: string }): Promise<string> {
  const result = await git(args, options);
  if (result.code !== 0)
    throw new Error(`git ${args.join(" ")} failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}
