import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Instance } from "../dataset/instance.js";
import { git } from "../workspace/git.js";
import { readIndexPaths } from "../workspace/read-index-paths.js";
import { gitIndexPath } from "../workspace/snapshot-paths.js";
import { findMentionedPaths } from "./find-mentioned-paths.js";
import { rankFilesBm25 } from "./rank-files-bm25.js";

/** Rough token count: 4 characters a token is close enough for budgeting prompts. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export interface ContextOptions {
  /** The task. Only `problem_statement` (and `hints_text` when asked) are shown. */
  instance: Instance;
  /** Workspace folder, checked out at base_commit. */
  dir: string;
  /** Tokens allowed for file contents. */
  tokenBudget: number;
  /** Show the issue's hints (comments before the fix); off by default, as on the leaderboard. */
  includeHints?: boolean;
  /** Largest file (bytes) considered for retrieval. */
  maxFileBytes?: number;
  /** The checkout's tracked files when the caller has them already (default: `listTrackedFiles`). */
  files?: readonly string[];
}

export interface Context {
  /** The issue text shown to the model. */
  issue: string;
  /** Files shown in full, in order, with why each was chosen. */
  files: { path: string; content: string; reason: "mentioned" | "retrieved" }[];
  /** Tokens used by file contents. */
  fileTokens: number;
}

const SOURCE_FILE = /\.(py|pyx|pyi|cfg|toml|ini|txt|rst|c|h|js)$/;

/**
 * Picks the files a model most likely needs: those the issue names (paths, tracebacks, dotted
 * modules) first, then BM25 over source files, within a token budget. Reads only the files at the
 * workspace's checkout (the files of base_commit's tree), never the history, so nothing after
 * base_commit leaks.
 */
export async function buildContext(options: ContextOptions): Promise<Context> {
  const { instance, dir } = options;
  const maxFileBytes = options.maxFileBytes ?? 400_000;
  const repositoryFiles = (options.files ?? (await listTrackedFiles(dir))).filter((path) =>
    SOURCE_FILE.test(path),
  );
  const issue =
    options.includeHints && instance.hints_text.trim()
      ? `${instance.problem_statement}\n\nHints:\n${instance.hints_text}`
      : instance.problem_statement;

  const mentioned = findMentionedPaths(issue, repositoryFiles);
  const documents = new Map<string, string>();
  for (const path of repositoryFiles.filter((file) => file.endsWith(".py"))) {
    const size = (await stat(join(dir, path)).catch(() => undefined))?.size ?? 0;
    if (size > 0 && size <= maxFileBytes) documents.set(path, await readFile(join(dir, path), "utf8"));
  }
  const retrieved = rankFilesBm25(issue, documents, 30).map((ranked) => ranked.path);

  const files: Context["files"] = [];
  let fileTokens = 0;
  const candidates = [
    ...mentioned.map((path) => ({ path, reason: "mentioned" as const })),
    ...retrieved
      .filter((path) => !mentioned.includes(path))
      .map((path) => ({ path, reason: "retrieved" as const })),
  ];
  for (const candidate of candidates) {
    const content =
      documents.get(candidate.path) ?? (await readFile(join(dir, candidate.path), "utf8").catch(() => ""));
    const tokens = estimateTokens(content);
    if (!content || fileTokens + tokens > options.tokenBudget) continue;
    files.push({ path: candidate.path, content, reason: candidate.reason });
    fileTokens += tokens;
  }
  return { issue, files, fileTokens };
}

/**
 * The files the checkout at `dir` tracks — what `git ls-files` lists (after a reset to base_commit,
 * the files of its tree) — read from the index file in-process, or from git when the index is not
 * one `readIndexPaths` reads (e.g. a SHA-256 repository).
 */
export async function listTrackedFiles(dir: string): Promise<string[]> {
  const index = await gitIndexPath(dir);
  const fromIndex = index ? await readIndexPaths(index) : undefined;
  if (fromIndex) return fromIndex;
  const listed = await git(["ls-files", "-z"], { cwd: dir });
  if (listed.code !== 0) throw new Error(`git ls-files failed in ${dir}: ${listed.stderr.trim()}`);
  return listed.stdout.split("\0").filter(Boolean);
}
