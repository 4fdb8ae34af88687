import type { Context } from "../agent/build-context.js";
import { estimateTokens } from "./plan-context-files.js";
import type { ContextReason } from "./render-context-file.js";
import { type ContextScore, scoreContext } from "./score-context.js";

/** One instance's context as `swegate context --json` prints it. */
export interface ContextReport {
  /** The instance. */
  instance_id: string;
  /** Estimated tokens of the whole first message (issue, instructions and code; 4 characters a token). */
  tokens: number;
  /** The budget for code it was built with (estimated tokens), when the caller gave it. */
  budget?: number;
  /** Files in the order shown; `ranges` null = the whole file, [] = only its outline. */
  files: { path: string; reason: ContextReason; ranges: [number, number][] | null }[];
  /** Coverage of the gold patch, with `--score` only: computed from the row's patch after the context is built. */
  score?: ContextScore;
}

/**
 * The report of a built context. The patch, when given, is read only here, after `context` exists,
 * so it cannot have steered what was chosen.
 */
export function reportContext(
  instanceId: string,
  context: Context,
  firstMessage: string,
  patch?: string,
  budget?: number,
): ContextReport {
  return {
    instance_id: instanceId,
    tokens: estimateTokens(firstMessage),
    ...(budget !== undefined ? { budget } : {}),
    files: context.files.map((file) => ({ path: file.path, reason: file.reason, ranges: file.ranges })),
    ...(patch !== undefined ? { score: scoreContext(context.files, patch) } : {}),
  };
}

/** Totals over many reports, for the summary line and the bench. */
export interface ContextSummary {
  /** Instances scored (a count). */
  instances: number;
  /** Share of instances (0–1) whose every edited file is shown in some form. */
  fileCoverage: number;
  /** Share of all gold hunks (0–1) inside verbatim text. */
  hunkCoverage: number;
  /** Share of instances (0–1) whose every hunk is inside verbatim text. */
  allHunksCovered: number;
  /** Mean estimated tokens of the first message. */
  meanTokens: number;
}

/** Sums reports that carry a score. */
export function summarizeReports(reports: readonly ContextReport[]): ContextSummary {
  const scored = reports.filter((report) => report.score);
  const count = scored.length || 1;
  const hunks = scored.reduce((sum, report) => sum + (report.score?.hunks ?? 0), 0);
  const covered = scored.reduce((sum, report) => sum + (report.score?.coveredHunks ?? 0), 0);
  return {
    instances: scored.length,
    fileCoverage: scored.filter((report) => report.score?.allFilesShown).length / count,
    hunkCoverage: hunks === 0 ? 0 : covered / hunks,
    allHunksCovered: scored.filter((report) => report.score?.allHunksCovered).length / count,
    meanTokens: reports.reduce((sum, report) => sum + report.tokens, 0) / (reports.length || 1),
  };
}
