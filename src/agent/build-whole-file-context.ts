import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { estimateTokens, splitLines } from "../context/plan-context-files.js";
import type { ContextFile } from "../context/render-context-file.js";
import type { Context, ContextOptions } from "./build-context.js";
import { issueText, listTrackedFiles, SOURCE_FILE } from "./build-context.js";
import { findMentionedPaths } from "./find-mentioned-paths.js";
import { rankFilesBm25 } from "./rank-files-bm25.js";

/**
 * The context swegate built before definitions were located: whole files only, those the issue
 * names first, then BM25 over whole files, skipping any that does not fit. Kept so `npm run bench`
 * and `swegate context --builder whole-files` can compare against it on the same instances.
 */
export async function buildWholeFileContext(options: ContextOptions): Promise<Context> {
  const { dir } = options;
  const maxFileBytes = options.maxFileBytes ?? 400_000;
  const repositoryFiles = (options.files ?? (await listTrackedFiles(dir))).filter((path) =>
    SOURCE_FILE.test(path),
  );
  const issue = issueText(options);
  const mentioned = findMentionedPaths(issue, repositoryFiles);
  const documents = new Map<string, string>();
  for (const path of repositoryFiles.filter((file) => file.endsWith(".py"))) {
    const size = (await stat(join(dir, path)).catch(() => undefined))?.size ?? 0;
    if (size > 0 && size <= maxFileBytes) documents.set(path, await readFile(join(dir, path), "utf8"));
  }
  const retrieved = rankFilesBm25(issue, documents, 30).map((ranked) => ranked.path);
  const files: ContextFile[] = [];
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
    const lines = splitLines(content);
    const file: ContextFile = {
      path: candidate.path,
      reason: candidate.reason,
      ranges: null,
      lineCount: lines.length,
      sections: [{ start: 1, end: lines.length, text: content }],
    };
    // Counted as before: the file's text alone.
    const tokens = estimateTokens(content);
    if (!content || fileTokens + tokens > options.tokenBudget) continue;
    files.push(file);
    fileTokens += tokens;
  }
  return { issue, files, fileTokens, notes: [] };
}
