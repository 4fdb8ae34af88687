import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DEMO_GIT_ENV, DEMO_REPOSITORIES } from "./demo-sources.js";

/** Where `owner/name` lives among the built demo repositories. */
export const DEMO_REPO_URL_SUFFIX = "{owner}__{name}.git";

/**
 * Builds the demo repositories as bare git repositories in `dir` (idempotent) and returns the URL
 * template the repository cache clones them from. Commits are deterministic (fixed identity and
 * dates), so the shipped dataset's base commits match on every machine.
 */
export function buildDemoRepositories(dir: string): {
  repoUrlTemplate: string;
  commits: Record<string, string>;
} {
  mkdirSync(dir, { recursive: true });
  const commits: Record<string, string> = {};
  for (const { repo, files } of DEMO_REPOSITORIES) {
    const target = join(dir, `${repo.replace("/", "__")}.git`);
    if (!existsSync(join(target, "HEAD"))) {
      const work = mkdtempSync(join(tmpdir(), "swegate-demo-"));
      const env = { ...process.env, ...DEMO_GIT_ENV };
      try {
        execFileSync("git", ["init", "-q", "-b", "main", work], { env });
        for (const [path, content] of Object.entries(files)) {
          mkdirSync(dirname(join(work, path)), { recursive: true });
          writeFileSync(join(work, path), content);
        }
        execFileSync("git", ["add", "-A"], { cwd: work, env });
        execFileSync("git", ["-c", "commit.gpgsign=false", "commit", "-q", "-m", `${repo}: base`], {
          cwd: work,
          env,
        });
        const partial = `${target}.partial-${process.pid}`;
        execFileSync("git", ["clone", "-q", "--bare", work, partial], { env });
        renameSync(partial, target);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }
    commits[repo] = execFileSync("git", ["rev-parse", "HEAD"], { cwd: target, encoding: "utf8" }).trim();
  }
  return { repoUrlTemplate: join(dir, DEMO_REPO_URL_SUFFIX), commits };
}
