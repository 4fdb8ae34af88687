import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DEMO_GIT_ENV, DEMO_REPOSITORIES } from "./demo-sources.js";
import { demoDatasetPath } from "./load-demo-dataset.js";

/** Where `owner/name` lives among the built demo repositories. */
export const DEMO_REPO_URL_SUFFIX = "{owner}__{name}.git";

/** What `buildDemoRepositories` made. */
export interface DemoRepositories {
  /** URL template for the repository cache: `<dir>/{owner}__{name}.git`. */
  repoUrlTemplate: string;
  /** The single commit of each demo repository (`owner/name` → 40-hex hash). */
  commits: Record<string, string>;
}

// The user's git configuration must not change the bytes of a commit (e.g. core.autocrlf), or the
// hashes would differ from the shipped dataset's base commits.
const ISOLATED_GIT_ENV = { GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", ...DEMO_GIT_ENV };

/**
 * Builds the demo repositories as bare git repositories in `dir` (idempotent) and returns the URL
 * template the repository cache clones them from. Commits are deterministic (fixed identity and
 * dates), so the shipped dataset's base commits match on every machine. A repository left by an
 * older swegate whose commit is not the shipped one is rebuilt.
 */
export function buildDemoRepositories(dir: string): DemoRepositories {
  mkdirSync(dir, { recursive: true });
  const env = { ...process.env, ...ISOLATED_GIT_ENV };
  const expected = readShippedBaseCommits();
  const commits: Record<string, string> = {};
  for (const { repo, files } of DEMO_REPOSITORIES) {
    const target = join(dir, `${repo.replace("/", "__")}.git`);
    const headOf = () =>
      execFileSync("git", ["rev-parse", "HEAD"], { cwd: target, env, encoding: "utf8" }).trim();
    const wanted = expected.get(repo);
    if (existsSync(join(target, "HEAD")) && wanted !== undefined && headOf() !== wanted) {
      rmSync(target, { recursive: true, force: true });
    }
    if (!existsSync(join(target, "HEAD"))) buildBareRepository(repo, files, target, env);
    commits[repo] = headOf();
  }
  return { repoUrlTemplate: join(dir, DEMO_REPO_URL_SUFFIX), commits };
}

function buildBareRepository(
  repo: string,
  files: Record<string, string>,
  target: string,
  env: NodeJS.ProcessEnv,
): void {
  const work = mkdtempSync(join(tmpdir(), "swegate-demo-"));
  const partial = `${target}.partial-${process.pid}`;
  try {
    execFileSync("git", ["init", "-q", work], { env });
    execFileSync("git", ["checkout", "-q", "-b", "main"], { cwd: work, env });
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), content);
    }
    execFileSync("git", ["add", "-A"], { cwd: work, env });
    execFileSync("git", ["-c", "commit.gpgsign=false", "commit", "-q", "-m", `${repo}: base`], {
      cwd: work,
      env,
    });
    execFileSync("git", ["clone", "-q", "--bare", work, partial], { env });
    try {
      // Build aside and rename: a concurrent builder or a crash never leaves a half-made repository.
      renameSync(partial, target);
    } catch (error) {
      if (!existsSync(join(target, "HEAD"))) throw error;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(partial, { recursive: true, force: true });
  }
}

// The shipped dataset says which commit each demo repository must have.
function readShippedBaseCommits(): Map<string, string> {
  const commits = new Map<string, string>();
  let text: string;
  try {
    text = readFileSync(demoDatasetPath(), "utf8");
  } catch {
    return commits;
  }
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const row = JSON.parse(line) as { repo: string; base_commit: string };
    commits.set(row.repo, row.base_commit);
  }
  return commits;
}
