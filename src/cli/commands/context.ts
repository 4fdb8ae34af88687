import { join } from "node:path";
import type { Command } from "commander";
import { listTrackedFiles } from "../../agent/build-context.js";
import { buildWholeFileContext } from "../../agent/build-whole-file-context.js";
import { defaultContextTokens } from "../../agent/default-context-tokens.js";
import type { LocalizationRecord } from "../../agent/localize-with-model.js";
import { prepareFirstMessage } from "../../agent/prepare-first-message.js";
import { renderTaskMessage } from "../../agent/prompts.js";
import {
  type ContextReport,
  reportContext,
  summarizeReports,
} from "../../context/measure-instance-context.js";
import { backendScriptRunner } from "../../context/reproduce-issue.js";
import { buildDemoRepositories } from "../../dataset/demo/build-demo-repositories.js";
import { UserError } from "../../errors.js";
import { createIsolatedBackend } from "../../exec/isolated-backend.js";
import { createModel } from "../../model/create-model.js";
import { loadPriceTable } from "../../model/price-table.js";
import { resetToBase } from "../../workspace/apply-patch.js";
import { createRepoCache, DEFAULT_REPO_URL_TEMPLATE, defaultCacheDir } from "../../workspace/repo-cache.js";
import { withWorkspace } from "../../workspace/with-workspace.js";
import { positiveInteger } from "../backend-options.js";
import { CONTEXT_TOKENS_HELP } from "../context-tokens-option.js";
import { addDatasetOptions, type DatasetOptions, resolveInstances } from "../dataset-options.js";
import { LOCALIZE_HELP, parseLocalize } from "../localize-option.js";
import { printJsonLine, printLine } from "../output.js";

interface ContextCommandOptions extends DatasetOptions {
  json?: boolean;
  score?: boolean;
  contextTokens?: string;
  model?: string;
  localize?: string;
  baseUrl?: string;
  prices?: string;
  hints?: boolean;
  python?: string;
  reproduce?: boolean;
  builder: string;
  message?: boolean;
  cacheDir: string;
  workspaceDir?: string;
  repoUrl?: string;
}

/**
 * `swegate context`: what the model is shown on attempt 1, per instance, built as `run` builds it
 * (a checkout at base_commit, the same builder and budget). `--score` measures it against the
 * row's gold patch, read only after the context exists.
 */
export function registerContextCommand(program: Command): void {
  const command = program
    .command("context")
    .description("show what the model sees on attempt 1: the located files and line ranges, per instance")
    .argument("[dataset]", "JSONL, JSON or parquet file (default: the bundled demo)");
  addDatasetOptions(command)
    .option("--json", "one JSON line per instance: {instance_id, tokens, files: [{path, reason, ranges}]}")
    .option("--score", "add coverage of the gold patch's edited files and hunks, and a summary")
    .option("--context-tokens <n>", CONTEXT_TOKENS_HELP)
    .option(
      "--model <spec>",
      "the model whose family's default budget applies (no call is made unless --localize model)",
    )
    .option("--localize <how>", LOCALIZE_HELP, "retrieval")
    .option("--base-url <url>", "provider endpoint for --localize model (required for openai-compatible)")
    .option("--prices <file>", "extra model prices (JSON, USD per million tokens)")
    .option("--hints", "include the issue's hints_text, as `run` never does")
    .option("--python <path>", "interpreter whose ast module outlines the files", "python3")
    .option(
      "--reproduce",
      "run the issue's code blocks with --python in the isolated backend, as run does in the instance's environment",
    )
    .option(
      "--builder <name>",
      "located (what run uses) or whole-files (the builder before it, for comparison)",
      "located",
    )
    .option("--message", "without --json: print the whole first message instead of the summary")
    .option("--cache-dir <dir>", "repository mirrors and workspaces", defaultCacheDir())
    .option("--workspace-dir <dir>", "where checkouts are made (default <cache-dir>/workspaces)")
    .option("--repo-url <template>", "where mirrors are cloned from ({repo}, {owner}, {name})")
    .action(async (datasetArgument: string | undefined, options: ContextCommandOptions) => {
      const budget = contextBudget(options);
      // The step's one call per instance, as `run` makes it before attempt 1.
      const localize =
        parseLocalize(options.localize, options.model) === "model" && options.model
          ? {
              model: createModel(options.model, {
                baseUrl: options.baseUrl,
                prices: loadPriceTable(options.prices),
              }),
            }
          : undefined;
      if (options.builder !== "located" && options.builder !== "whole-files")
        throw new UserError(`unknown builder ${JSON.stringify(options.builder)}`, {
          where: `--builder=${options.builder}`,
          hint: "use located or whole-files",
        });
      const { dataset, instances } = await resolveInstances(datasetArgument, options);
      const sandbox = options.reproduce ? createIsolatedBackend({ python: options.python }) : undefined;
      // As `run` makes it; the bundled demo's repositories are built locally and need no network.
      const cache = createRepoCache({
        cacheDir: options.cacheDir,
        repoUrlTemplate:
          options.repoUrl ??
          (dataset.source === "demo"
            ? buildDemoRepositories(join(options.cacheDir, "demo-repos")).repoUrlTemplate
            : DEFAULT_REPO_URL_TEMPLATE),
        workspacesDir: options.workspaceDir,
      });
      if (!options.json && !options.message)
        printLine(`budget ${budget.tokens} tokens of code (${budget.source})`);
      const reports: (ContextReport & { localization?: LocalizationRecord })[] = [];
      for (const instance of instances) {
        await cache.ensureCommit(instance.repo, instance.base_commit);
        const report = await withWorkspace(
          cache,
          { repo: instance.repo, baseCommit: instance.base_commit },
          async (workspace) => {
            await resetToBase(workspace.dir, instance.base_commit);
            const settings = {
              instance,
              dir: workspace.dir,
              files: await listTrackedFiles(workspace.dir),
              tokenBudget: budget.tokens,
              includeHints: options.hints === true,
              python: options.python,
              ...(localize ? { localize } : {}),
              ...(sandbox
                ? {
                    reproduce: backendScriptRunner(sandbox, workspace.dir, instance.base_commit),
                  }
                : {}),
            };
            let first: { context: Awaited<ReturnType<typeof buildWholeFileContext>>; message: string };
            if (options.builder === "whole-files") {
              const context = await buildWholeFileContext(settings);
              first = { context, message: renderTaskMessage(context) };
            } else first = await prepareFirstMessage(settings);
            for (const note of first.context.notes)
              process.stderr.write(`swegate: ${instance.instance_id}: ${note}\n`);
            const built = reportContext(
              instance.instance_id,
              first.context,
              first.message,
              options.score ? instance.patch : undefined,
              budget.tokens,
            );
            if (!options.json && options.message) printLine(first.message);
            const { localization } = first.context;
            return localization ? { ...built, localization } : built;
          },
        );
        reports.push(report);
        if (options.json) printJsonLine(report);
        else if (!options.message) printReadable(report);
      }
      if (options.score) {
        const summary = summarizeReports(reports);
        if (options.json) printJsonLine({ summary });
        else
          printLine(
            `${summary.instances} instances: every edited file shown ${percent(summary.fileCoverage)}, ` +
              `gold hunks in shown text ${percent(summary.hunkCoverage)}, every hunk ${percent(summary.allHunksCovered)}, ` +
              `mean ${Math.round(summary.meanTokens)} tokens`,
          );
      }
    });
}

/** The budget as `run` would choose it: the flag, else the model family's default; with where it came from. */
function contextBudget(options: ContextCommandOptions): { tokens: number; source: string } {
  if (options.contextTokens !== undefined)
    return { tokens: positiveInteger(options.contextTokens, "--context-tokens"), source: "--context-tokens" };
  const { tokens, family } = defaultContextTokens(options.model);
  return {
    tokens,
    source: options.model
      ? `the default for ${family === "other" ? "models of no known family" : family}, ${options.model}`
      : "the default for models of no known family; --model names one",
  };
}

function printReadable(report: ContextReport & { localization?: LocalizationRecord }): void {
  const score = report.score
    ? `  files ${report.score.shownFiles.length}/${report.score.editedFiles.length}, hunks ${report.score.coveredHunks}/${report.score.hunks}`
    : "";
  printLine(`${report.instance_id}: ${report.tokens} tokens${score}`);
  const step = report.localization;
  if (step)
    printLine(
      step.ok
        ? `  model step (${step.model}): ${[...step.files, ...step.definitions].join(", ") || "nothing named"}${step.ignored.length > 0 ? `; ignored: ${step.ignored.join(", ")}` : ""}`
        : `  model step (${step.model}) failed, retrieval alone chose: ${step.error}`,
    );
  for (const file of report.files) {
    const shown =
      file.ranges === null
        ? "whole file"
        : file.ranges.length === 0
          ? "outline only"
          : `outline + lines ${file.ranges.map(([start, end]) => `${start}-${end}`).join(", ")}`;
    printLine(`  ${file.path} (${file.reason}): ${shown}`);
  }
  if (report.score && !report.score.allFilesShown)
    printLine(
      `  not shown: ${report.score.editedFiles.filter((path) => !report.score?.shownFiles.includes(path)).join(", ")}`,
    );
}

function percent(share: number): string {
  return `${(100 * share).toFixed(1)}%`;
}
