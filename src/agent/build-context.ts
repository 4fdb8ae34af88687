import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { withAncestorFiles } from "../context/ancestor-files.js";
import { withCalledFiles } from "../context/called-files.js";
import { chooseCandidateFiles, definingFiles } from "../context/choose-candidate-files.js";
import { distinctiveLiterals, type Frame, readIssueEvidence } from "../context/issue-evidence.js";
import { type FileOutline, outlinePythonFiles } from "../context/outline-python-files.js";
import { DEFAULT_PLAN_LIMITS, planContextFiles } from "../context/plan-context-files.js";
import { type RankedFile, type ResolvedFrame, rankDefinitions } from "../context/rank-definitions.js";
import type { ContextFile } from "../context/render-context-file.js";
import {
  describeReproduction,
  type Reproduction,
  reproduceIssue,
  type ScriptRunner,
} from "../context/reproduce-issue.js";
import { resolveRepositoryPath } from "../context/resolve-repository-path.js";
import type { Instance } from "../dataset/instance.js";
import type { Model, Usage } from "../model/model.js";
import { listTrackedFiles } from "../workspace/list-tracked-files.js";
import { findMentionedPaths } from "./find-mentioned-paths.js";
import {
  callLocalizeModel,
  type LocalizationRecord,
  prioritize,
  renderLocalizeMessage,
  renderRepositoryTree,
  resolveLocalizeAnswer,
} from "./localize-with-model.js";

export { estimateTokens } from "../context/plan-context-files.js";

// The budget for models of no known family; each family's own is in default-context-tokens.ts.
export { DEFAULT_CONTEXT_TOKEN_BUDGET } from "./default-context-tokens.js";

export interface ContextOptions {
  /** The task. Only `problem_statement` (and `hints_text` when asked) are shown. */
  instance: Instance;
  /** Workspace folder, checked out at base_commit. */
  dir: string;
  /** Tokens allowed for file contents (estimated, 4 characters a token). */
  tokenBudget: number;
  /** Show the issue's hints (comments before the fix); off by default, as on the leaderboard. */
  includeHints?: boolean;
  /** Largest file (bytes) considered for retrieval. */
  maxFileBytes?: number;
  /** The checkout's tracked files when the caller has them already (default: `listTrackedFiles`). */
  files?: readonly string[];
  /** Interpreter whose `ast` module outlines the files (default `python3`). */
  python?: string;
  /**
   * Runs the issue's own code in the instance's environment when the issue shows no traceback into
   * the checkout; the traceback of the failure it names becomes evidence. Absent: nothing is run.
   */
  reproduce?: ScriptRunner;
  /** Ask this model first which files and definitions to show (`--localize model`); absent: retrieval alone. */
  localize?: { model: Model; signal?: AbortSignal };
}

export interface Context {
  /** The issue text shown to the model. */
  issue: string;
  /** Files shown, best first: whole, or an outline plus chosen line ranges, with why each was chosen. */
  files: ContextFile[];
  /** Estimated tokens used by the files as rendered. */
  fileTokens: number;
  /** What went wrong while locating, for people (e.g. no Python to outline with); never shown to the model. */
  notes: string[];
  /** What the model step chose and ignored, when it was asked (`--localize model`). */
  localization?: LocalizationRecord;
  /** What running the issue's code showed, when it was run (`ContextOptions.reproduce`). */
  reproduction?: Reproduction;
  /** What the model step's call cost, when it was made. */
  localizeCost?: { usage: Usage; costUsd: number | null };
}

/**
 * Share of the budget the planner fills. It counts what the model reads (headers, outlines, code),
 * where the whole-file builder counted file text alone and seldom filled its budget; holding 2.5%
 * back keeps the first message no longer than it was (`npm run bench`, mean tokens).
 */
const BUDGET_FILL = 0.975;

/** Files whose text may be shown; only `.py` files are located inside. */
export const SOURCE_FILE = /\.(py|pyx|pyi|cfg|toml|ini|txt|rst|c|h|js)$/;

/** The issue as the model sees it: the problem statement, and the hints only when asked. */
export function issueText(options: Pick<ContextOptions, "instance" | "includeHints">): string {
  const { instance } = options;
  return options.includeHints && instance.hints_text.trim()
    ? `${instance.problem_statement}\n\nHints:\n${instance.hints_text}`
    : instance.problem_statement;
}

/**
 * Locates the code an issue is about and shows it within a token budget. Evidence from the issue
 * (paths, traceback frames, names it uses, error messages, words) picks candidate files; Python's
 * own parser outlines them; definitions are ranked; small files are shown whole, large ones as an
 * outline plus their best definitions with line numbers. Reads only the checkout (base_commit's
 * tree), never the history nor the row's patch or test_patch, so nothing after base_commit leaks.
 */
export async function buildContext(options: ContextOptions): Promise<Context> {
  const { dir } = options;
  const maxFileBytes = options.maxFileBytes ?? 400_000;
  const repositoryFiles = (options.files ?? (await listTrackedFiles(dir))).filter((path) =>
    SOURCE_FILE.test(path),
  );
  const issue = issueText(options);
  const read = readIssueEvidence(issue);
  const mentioned = findMentionedPaths(issue, repositoryFiles);
  const documents = new Map<string, string>();
  for (const path of repositoryFiles.filter((file) => file.endsWith(".py"))) {
    const size = (await stat(join(dir, path)).catch(() => undefined))?.size ?? 0;
    if (size > 0 && size <= maxFileBytes) documents.set(path, await readFile(join(dir, path), "utf8"));
  }
  // Files the issue names that are not Python (setup.cfg, a .rst) are shown whole when they fit.
  for (const path of mentioned)
    if (!documents.has(path)) {
      const text = await readFile(join(dir, path), "utf8").catch(() => "");
      if (text && text.length <= maxFileBytes) documents.set(path, text);
    }
  const evidence = { ...read, messages: distinctiveLiterals(read.messages, documents) };
  const frames = resolveFrames(evidence.frames, repositoryFiles);
  // No traceback into the checkout: the issue's own code may show one when run.
  let reproduction: Reproduction | undefined;
  if (frames.length === 0 && options.reproduce) {
    reproduction = await reproduceIssue(
      issue,
      options.reproduce,
      packageOf(options.instance.repo, repositoryFiles),
    );
    frames.push(...resolveFrames(reproduction?.frames ?? [], repositoryFiles));
  }
  const definers = definingFiles(documents);
  let candidates = chooseCandidateFiles(
    issue,
    evidence,
    mentioned,
    frames.map((frame) => frame.path).reverse(),
    documents,
    definers,
  );
  const notes: string[] = [];
  const outlined = await outlinePythonFiles(
    dir,
    candidates.map((candidate) => candidate.path).filter((path) => path.endsWith(".py")),
    options.python,
  );
  if (!outlined.ok) notes.push(`files not outlined, shown whole or not at all: ${outlined.message}`);
  const outlines: Map<string, FileOutline> = outlined.ok ? outlined.outlines : new Map();
  // One call further down, and up the classes the issue names: the files what the issue's own
  // code calls and what its classes inherit from are defined in.
  if (outlined.ok) {
    const widened = withAncestorFiles(
      withCalledFiles(issue, candidates, outlines, documents, frames, definers),
      evidence.symbols,
      documents,
      definers,
    );
    const more = await outlinePythonFiles(
      dir,
      widened.slice(candidates.length).map((c) => c.path),
      options.python,
    );
    if (more.ok) {
      for (const [path, outline] of more.outlines) outlines.set(path, outline);
      candidates = widened;
    }
  }
  let ranked = rankDefinitions(issue, evidence, candidates, outlines, documents, frames);
  let localized: Pick<Context, "localization" | "localizeCost"> = {};
  if (options.localize) {
    const step = await localizeWithModel(options, options.localize, {
      issue,
      repositoryFiles,
      ranked,
      documents,
      outlines,
    });
    localized = { localization: step.record, localizeCost: step.cost };
    if (step.ranked) {
      const extra = step.record.files.filter((path) => !candidates.some((c) => c.path === path));
      if (extra.length > 0) {
        // A file retrieval did not consider is ranked like the rest, so its best definitions come too.
        const more = [...candidates, ...extra.map((path) => ({ path, reason: "model" as const, bm25: 0 }))];
        ranked = rankDefinitions(issue, evidence, more, outlines, documents, frames);
      }
      ranked = prioritize(ranked, step.record.files, step.definitions, outlines);
    } else notes.push(`the model step failed (${step.record.error}): retrieval alone chose the files`);
  }
  const planned = planContextFiles(ranked, documents, outlines, {
    ...DEFAULT_PLAN_LIMITS,
    tokenBudget: Math.floor(options.tokenBudget * BUDGET_FILL),
  });
  if (reproduction) notes.push(describeReproduction(reproduction));
  return {
    issue,
    files: planned.files,
    fileTokens: planned.tokens,
    notes,
    ...localized,
    ...(reproduction ? { reproduction } : {}),
  };
}

/**
 * The model step: one call showing the tree and the skeletons of retrieval's best files; its answer
 * checked against the checkout (the files it names that were not outlined yet are outlined into
 * `outlines`). `ranked` is undefined when the call failed.
 */
async function localizeWithModel(
  options: ContextOptions,
  localize: NonNullable<ContextOptions["localize"]>,
  input: {
    issue: string;
    repositoryFiles: readonly string[];
    ranked: RankedFile[];
    documents: ReadonlyMap<string, string>;
    outlines: Map<string, FileOutline>;
  },
): Promise<{
  record: LocalizationRecord;
  cost: { usage: Usage; costUsd: number | null };
  ranked: boolean;
  definitions: Map<string, string[]>;
}> {
  const { issue, repositoryFiles, ranked, documents, outlines } = input;
  const message = renderLocalizeMessage(
    issue,
    renderRepositoryTree(repositoryFiles),
    ranked,
    documents,
    outlines,
  );
  const call = await callLocalizeModel(localize.model, message, {
    instanceId: options.instance.instance_id,
    signal: localize.signal,
  });
  const cost = { usage: call.usage, costUsd: call.costUsd };
  const base = { model: localize.model.id, files: [], definitions: [], ignored: [] };
  if (!call.entries)
    return { record: { ...base, ok: false, error: call.error }, cost, ranked: false, definitions: new Map() };
  // Only Python files that were read can be shown (a file over the size limit is not).
  const known = new Set([...documents.keys()].filter((path) => path.endsWith(".py")));
  const missing = [...new Set(call.entries.map((entry) => entry.path))].filter(
    (path) => known.has(path) && !outlines.has(path),
  );
  const more = await outlinePythonFiles(options.dir, missing, options.python);
  if (more.ok) for (const [path, outline] of more.outlines) outlines.set(path, outline);
  const resolved = resolveLocalizeAnswer(call.entries, known, outlines);
  const definitions = [...resolved.definitions].flatMap(([path, names]) =>
    names.map((name) => `${path}::${name}`),
  );
  return {
    record: { ...base, ok: true, files: resolved.files, definitions, ignored: resolved.ignored },
    cost,
    ranked: true,
    definitions: resolved.definitions,
  };
}

// The checkout's tracked files are a workspace concern; re-exported for the agent's callers.
export { listTrackedFiles };

/** Frames whose file is in the checkout, with their repository paths. */
function resolveFrames(frames: readonly Frame[], repositoryFiles: readonly string[]): ResolvedFrame[] {
  const resolved: ResolvedFrame[] = [];
  for (const frame of frames) {
    const path = resolveRepositoryPath(frame.path, repositoryFiles);
    if (path) resolved.push({ path, line: frame.line, order: frame.order });
  }
  return resolved;
}

/** The package named like the repository (`sympy/sympy` → `sympy`, `pallets/flask` → `src/flask`'s). */
function packageOf(repo: string, repositoryFiles: readonly string[]): string | undefined {
  const name = (repo.split("/").at(-1) ?? "").toLowerCase().replaceAll("-", "_");
  return repositoryFiles.some((path) => path === `${name}/__init__.py` || path === `src/${name}/__init__.py`)
    ? name
    : undefined;
}
