import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
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
  /**
   * Folder for checkouts (default `<cacheDir>/workspaces`). Any filesystem works: a tmpfs such as
   * /dev/shm makes the many small files git and test runs write much cheaper (`npm run bench`).
   */
  workspacesDir?: string;
}

export interface RepoCache {
  readonly cacheDir: string;
  /** Folder checkouts are created in. */
  readonly workspacesDir: string;
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
  // Commits seen in a mirror stay there (nothing prunes them), so each is checked once per process.
  const present = new Set<string>();
  return {
    cacheDir: options.cacheDir,
    workspacesDir: options.workspacesDir ?? join(options.cacheDir, "workspaces"),
    mirrorPath,
    async ensureCommit(repo, commit) {
      if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) {
        throw new UserError(`repository name ${JSON.stringify(repo)} is not owner/name`, {
          hint: "fix the dataset row",
        });
      }
      const mirror = mirrorPath(repo);
      const key = `${mirror}\0${commit}`;
      if (present.has(key) && existsSync(join(mirror, "HEAD"))) return mirror;
      // Fast path without the lock: the usual case once the cache is warm.
      if (existsSync(join(mirror, "HEAD")) && (await hasCommit(mirror, commit))) {
        present.add(key);
        return mirror;
      }
      await mkdir(dirname(mirror), { recursive: true });
      return withFileLock(`${mirror}.lock`, async ({ staleOwner }) => {
        const url = repoUrl(options.repoUrlTemplate, repo);
        await removePartialClones(mirror);
        if (staleOwner !== undefined) await removeGitLockFiles(mirror);
        if (!existsSync(join(mirror, "HEAD"))) await cloneMirror(url, mirror, repo);
        if (await hasCommit(mirror, commit)) return mirror;
        await git(["fetch", "--quiet", "--tags", "origin", "+refs/heads/*:refs/heads/*"], {
          cwd: mirror,
          userConfig: true,
        });
        // A commit on no branch (e.g. a deleted PR branch) can still be fetched by its id.
        if (!(await hasCommit(mirror, commit)))
          await git(["fetch", "--quiet", "origin", commit], { cwd: mirror, userConfig: true });
        if (!(await hasCommit(mirror, commit))) {
          throw new UserError(`commit ${commit} of ${repo} is not in ${url}, even after fetching`, {
            where: `repository ${repo}`,
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
  const temporary = `${mirror}${PARTIAL}${process.pid}`;
  await rm(temporary, { recursive: true, force: true });
  const result = await git(["clone", "--quiet", "--bare", url, temporary], {
    cwd: dirname(mirror),
    userConfig: true,
  });
  if (result.code !== 0) {
    await rm(temporary, { recursive: true, force: true });
    throw new UserError(`could not clone ${repo} from ${url}: ${result.stderr.trim().split("\n").at(-1)}`, {
      where: `repository ${repo}`,
      hint: "check the network or use --repo-url with a local folder of mirrors",
    });
  }
  // Replacement objects the source holds come along (`git clone` leaves refs/replace/ behind): a
  // mirror whose history lacks a blob can stand in a checked copy for it (`git replace`), and every
  // checkout from this cache then reads that copy.
  await git(["fetch", "--quiet", "origin", "+refs/replace/*:refs/replace/*"], {
    cwd: temporary,
    userConfig: true,
  });
  // Bare clones fetch nothing by default later; give origin a refspec so `git fetch` updates branches.
  await git(["config", "remote.origin.fetch", "+refs/heads/*:refs/heads/*"], { cwd: temporary });
  // No automatic gc: a detached background gc would outlive our lock and race the next fetch.
  await git(["config", "gc.auto", "0"], { cwd: temporary });
  await git(["config", "maintenance.auto", "false"], { cwd: temporary });
  await rename(temporary, mirror);
}

const PARTIAL = ".partial-";

/** Deletes clones that a crashed process left half done (the lock is held, so none is in progress). */
async function removePartialClones(mirror: string): Promise<void> {
  const prefix = `${basename(mirror)}${PARTIAL}`;
  for (const entry of await readdir(dirname(mirror)).catch(() => [] as string[])) {
    if (entry.startsWith(prefix)) await rm(join(dirname(mirror), entry), { recursive: true, force: true });
  }
}

/**
 * A process killed during a fetch leaves git's own `*.lock` files (packed-refs.lock, refs/heads/x.lock,
 * config.lock…) and every later fetch fails on them. They are removed only after taking over a dead
 * process's lock: nobody else changes the mirror's refs without that lock. Worktrees' index locks live
 * under `worktrees/` and belong to their workspaces, so that folder is left alone.
 */
async function removeGitLockFiles(mirror: string): Promise<void> {
  const entries = await readdir(mirror, { recursive: true }).catch(() => [] as string[]);
  for (const entry of entries) {
    if (entry.endsWith(".lock") && !entry.startsWith("worktrees") && !entry.startsWith("objects"))
      await rm(join(mirror, entry), { force: true });
  }
}
