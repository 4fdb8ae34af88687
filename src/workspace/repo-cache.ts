import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { UserError } from "../errors.js";
import { git } from "./git.js";
import { withFileLock } from "./with-file-lock.js";

/** `$XDG_CACHE_HOME/swegate`, else `~/.cache/swegate`. */
export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "swegate");
}

/** GitHub by default; `{repo}` is `owner/name`, `{owner}` and `{name}` its parts. */
export const DEFAULT_REPO_URL_TEMPLATE = "https://github.com/{repo}.git";

export interface RepoCacheOptions {
  /** Folder holding mirrors and workspaces. */
  cacheDir: string;
  /** Where mirrors are cloned from, with `{repo}`, `{owner}`, `{name}` substituted. */
  repoUrlTemplate: string;
}

export interface RepoCache {
  readonly cacheDir: string;
  /** The bare mirror's path for a repository (it may not exist yet). */
  mirrorPath(repo: string): string;
  /** Makes sure the mirror exists and holds `commit` (fetching only when it is missing). */
  ensureCommit(repo: string, commit: string): Promise<string>;
}

/** Substitutes a repository into a URL template. */
export function repoUrl(template: string, repo: string): string {
  const [owner = "", name = ""] = repo.split("/");
  return template.replaceAll("{repo}", repo).replaceAll("{owner}", owner).replaceAll("{name}", name);
}

/** One bare mirror per repository under `cacheDir/repos`, safe for concurrent workers and processes. */
export function createRepoCache(options: RepoCacheOptions): RepoCache {
  const mirrorPath = (repo: string) => join(options.cacheDir, "repos", `${repo.replace("/", "__")}.git`);
  return {
    cacheDir: options.cacheDir,
    mirrorPath,
    async ensureCommit(repo, commit) {
      if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) {
        throw new UserError(`repository name ${JSON.stringify(repo)} is not owner/name`, {
          hint: "fix the dataset row",
        });
      }
      const mirror = mirrorPath(repo);
      // Fast path without the lock: the usual case once the cache is warm.
      if (existsSync(join(mirror, "HEAD")) && (await hasCommit(mirror, commit))) return mirror;
      await mkdir(dirname(mirror), { recursive: true });
      return withFileLock(`${mirror}.lock`, async () => {
        const url = repoUrl(options.repoUrlTemplate, repo);
        if (!existsSync(join(mirror, "HEAD"))) await cloneMirror(url, mirror, repo);
        if (await hasCommit(mirror, commit)) return mirror;
        await git(["fetch", "--quiet", "--tags", "origin", "+refs/heads/*:refs/heads/*"], { cwd: mirror });
        if (!(await hasCommit(mirror, commit)))
          await git(["fetch", "--quiet", "origin", commit], { cwd: mirror });
        if (!(await hasCommit(mirror, commit))) {
          throw new UserError(`commit ${commit} of ${repo} is not in ${url}`, {
            hint: "check the dataset's base_commit or point --repo-url at a repository that has it",
          });
        }
        return mirror;
      });
    },
  };
}

async function hasCommit(mirror: string, commit: string): Promise<boolean> {
  return (await git(["cat-file", "-e", `${commit}^{commit}`], { cwd: mirror })).code === 0;
}

async function cloneMirror(url: string, mirror: string, repo: string): Promise<void> {
  // Clone beside the final path and rename: a crash never leaves a half mirror that looks complete.
  const temporary = `${mirror}.partial-${process.pid}`;
  await rm(temporary, { recursive: true, force: true });
  const result = await git(["clone", "--quiet", "--bare", url, temporary], { cwd: dirname(mirror) });
  if (result.code !== 0) {
    await rm(temporary, { recursive: true, force: true });
    throw new UserError(`could not clone ${repo} from ${url}: ${result.stderr.trim().split("\n").at(-1)}`, {
      hint: "check the network or use --repo-url with a local folder of mirrors",
    });
  }
  // Bare clones fetch nothing by default later; give origin a refspec so `git fetch` updates branches.
  await git(["config", "remote.origin.fetch", "+refs/heads/*:refs/heads/*"], { cwd: temporary });
  await rename(temporary, mirror);
}
