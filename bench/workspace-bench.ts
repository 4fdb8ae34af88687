// Workspace creation from a warm cache against cloning the same commit, measured side by side in one run.
// Needs a folder of mirrors (or any clone URL): SWEGATE_BENCH_REPO_URL, a template with {repo}, {owner},
// {name}. SWEGATE_BENCH_REPO (default django/django) and SWEGATE_BENCH_COMMIT pick the commit; without a
// commit, SWEGATE_BENCH_DATASET (a SWE-bench JSONL such as lite-sample.jsonl) gives django__django-15738's.
// SWEGATE_BENCH_OTHER_COMMIT (default: another row's base in that JSONL) measures a parked checkout
// switching commits. SWEGATE_BENCH_ROUNDS sets the rounds per method (default 5).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWorkspace, drainWorkspacePool } from "../src/workspace/create-workspace.js";
import { createRepoCache } from "../src/workspace/repo-cache.js";

const DEFAULT_INSTANCE = "django__django-15738";

/** Printable lines: medians per method and ratios against a plain clone + checkout. */
export async function benchWorkspace(): Promise<string[]> {
  const template = process.env.SWEGATE_BENCH_REPO_URL;
  const repo = process.env.SWEGATE_BENCH_REPO || "django/django";
  const commit = process.env.SWEGATE_BENCH_COMMIT || baseCommitFromDataset(process.env.SWEGATE_BENCH_DATASET);
  if (!template || !commit) {
    return [
      "workspace: skipped — needs SWEGATE_BENCH_REPO_URL (clone URL template, e.g. a folder of mirrors " +
        "/mirrors/{owner}+{name}/repo) and SWEGATE_BENCH_COMMIT or SWEGATE_BENCH_DATASET (a JSONL holding " +
        `${DEFAULT_INSTANCE}); SWEGATE_BENCH_REPO defaults to django/django`,
    ];
  }
  const other =
    process.env.SWEGATE_BENCH_OTHER_COMMIT ||
    otherBaseCommit(process.env.SWEGATE_BENCH_DATASET, repo, commit);
  const rounds = Number(process.env.SWEGATE_BENCH_ROUNDS) || 5;
  const scratch = mkdtempSync(join(tmpdir(), "swegate-bench-"));
  try {
    const cache = createRepoCache({ cacheDir: join(scratch, "cache"), repoUrlTemplate: template });
    const warming = await time(() => cache.ensureCommit(repo, commit));
    if (other) await cache.ensureCommit(repo, other);
    const mirror = cache.mirrorPath(repo);
    const gitQuiet = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, stdio: "ignore" });
    const fileCount = await (async () => {
      const workspace = await createWorkspace(cache, { repo, baseCommit: commit, reuse: false });
      const count =
        execFileSync("git", ["ls-files"], { cwd: workspace.dir, encoding: "utf8" }).split("\n").length - 1;
      await workspace.dispose();
      return count;
    })();
    // A pooled method starts from exactly one checkout parked at `parkAt` (set up untimed), as in a run
    // after its first instance of the repository.
    const methods: Method[] = [
      { name: "pooled worktree, parked at the same commit", parkAt: commit },
      ...(other
        ? [{ name: `pooled worktree, parked at ${other.slice(0, 12)} (another instance)`, parkAt: other }]
        : []),
      { name: "fresh worktree (reuse: false)", create: () => workspace(cache, repo, commit, false) },
      { name: "git clone --no-checkout + checkout", create: () => clone(scratch, mirror, commit, []) },
      {
        name: "git clone --shared --no-checkout + checkout",
        create: () => clone(scratch, mirror, commit, ["--shared"]),
      },
      {
        name: "standalone repo, only base (init + fetch --depth 1 + checkout)",
        create: async () => {
          const target = mkdtempSync(join(scratch, "standalone-"));
          gitQuiet(target, "init", "-q");
          gitQuiet(target, "fetch", "-q", "--depth", "1", `file://${mirror}`, commit);
          gitQuiet(target, "checkout", "-q", "--detach", commit);
          return async () => rmSync(target, { recursive: true, force: true });
        },
      },
    ];
    const sampled = new Map<string, number[]>();
    for (let round = 0; round < rounds; round++) {
      // Interleaved rounds: a noisy neighbour on the shared machine slows every method alike.
      for (const method of methods) {
        if (method.parkAt) {
          await drainWorkspacePool(cache, repo);
          await (await workspace(cache, repo, method.parkAt, true))();
        }
        const create = method.create ?? (() => workspace(cache, repo, commit, true));
        let cleanup: () => Promise<void> = async () => undefined;
        const elapsed = await time(async () => (cleanup = await create()));
        await cleanup();
        sampled.set(method.name, [...(sampled.get(method.name) ?? []), elapsed]);
      }
    }
    await drainWorkspacePool(cache, repo);
    const reference = median(sampled.get("git clone --no-checkout + checkout") ?? []);
    const lines = [
      `workspace: ${repo}@${commit.slice(0, 12)} (${fileCount} files), cache warmed in ${warming.toFixed(0)} ms, median of ${rounds} rounds:`,
    ];
    for (const { name } of methods) {
      const value = median(sampled.get(name) ?? []);
      lines.push(
        `  ${name.padEnd(66)} ${value.toFixed(0).padStart(6)} ms  (${(reference / value).toFixed(1)}× clone)`,
      );
    }
    return lines;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

interface Method {
  /** Printed name. */
  name: string;
  /** For pooled methods: the commit of the one parked checkout the timed creation starts from. */
  parkAt?: string;
  /** Creates a checkout of the commit and returns its cleanup (default: a pooled workspace). */
  create?: () => Promise<() => Promise<void>>;
}

async function workspace(
  cache: ReturnType<typeof createRepoCache>,
  repo: string,
  commit: string,
  reuse: boolean,
): Promise<() => Promise<void>> {
  const created = await createWorkspace(cache, { repo, baseCommit: commit, reuse });
  return () => created.dispose();
}

async function clone(
  scratch: string,
  mirror: string,
  commit: string,
  extra: string[],
): Promise<() => Promise<void>> {
  const target = mkdtempSync(join(scratch, "clone-"));
  execFileSync("git", ["clone", "-q", "--no-checkout", ...extra, mirror, target], { stdio: "ignore" });
  execFileSync("git", ["checkout", "-q", "--detach", commit], { cwd: target, stdio: "ignore" });
  return async () => rmSync(target, { recursive: true, force: true });
}

function baseCommitFromDataset(path: string | undefined): string | undefined {
  if (!path) return undefined;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.includes(DEFAULT_INSTANCE)) continue;
    const row = JSON.parse(line) as { instance_id?: string; base_commit?: string };
    if (row.instance_id === DEFAULT_INSTANCE) return row.base_commit;
  }
  return undefined;
}

/** The dataset's last row of the same repository name with a different base commit (a distant one in Lite). */
function otherBaseCommit(path: string | undefined, repo: string, commit: string): string | undefined {
  if (!path) return undefined;
  const name = repo.split("/")[1] ?? repo;
  let found: string | undefined;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const row = JSON.parse(line) as { repo?: string; base_commit?: string };
    if (row.repo?.endsWith(`/${name}`) && row.base_commit && row.base_commit !== commit)
      found = row.base_commit;
  }
  return found;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function time(task: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await task();
  return performance.now() - started;
}
