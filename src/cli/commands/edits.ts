import { readFileSync, statSync } from "node:fs";
import type { Command } from "commander";
import { applyEdits } from "../../edits/apply-edits.js";
import { parseEdits } from "../../edits/parse-edits.js";
import { UserError } from "../../errors.js";
import { printJson, printLine } from "../output.js";

interface EditsApplyOptions {
  dir: string;
  edits: string;
  json?: boolean;
  dryRun?: boolean;
}

/** `swegate edits apply`: applies a model answer (SEARCH/REPLACE blocks or a diff) to a folder. */
export function registerEditsCommand(program: Command): void {
  const edits = program.command("edits").description("parse and apply a model's direct edits");
  edits
    .command("apply")
    .description("apply the SEARCH/REPLACE blocks or unified diff in an answer file to a folder")
    .requiredOption("--dir <folder>", "the folder to edit (paths in the answer are relative to it)")
    .requiredOption("--edits <file>", "the model answer, a text file")
    .option("--dry-run", "resolve every block but write nothing")
    .option("--json", "JSON output: { applied, failed, filesChanged, problems }")
    .action(async (options: EditsApplyOptions) => {
      if (!isFolder(options.dir))
        throw new UserError("not a folder", {
          where: `--dir=${options.dir}`,
          hint: "give the workspace folder",
        });
      let answer: string;
      try {
        answer = readFileSync(options.edits, "utf8");
      } catch {
        throw new UserError("cannot read file", {
          where: `--edits=${options.edits}`,
          hint: "check the path",
        });
      }
      const parsed = parseEdits(answer);
      const result = await applyEdits(options.dir, parsed.edits, { dryRun: options.dryRun === true });
      // Exit 1 when anything in the answer could not be used, so scripts can tell.
      if (parsed.edits.length === 0 || result.failed.length > 0 || parsed.problems.length > 0)
        process.exitCode = 1;
      if (options.json) {
        printJson({ ...result, problems: parsed.problems });
        return;
      }
      for (const problem of parsed.problems)
        printLine(`${options.edits}:${problem.line}: ${problem.message}`);
      if (parsed.edits.length === 0)
        printLine("no edits found (expected SEARCH/REPLACE blocks or a unified diff)");
      const rows = [
        ...result.applied.map((entry) => ({ ...entry, text: `applied (${entry.method})` })),
        ...result.failed.map((entry) => ({ ...entry, text: `failed: ${entry.reason}` })),
      ].sort((left, right) => left.blockIndex - right.blockIndex);
      for (const row of rows) {
        const edit = parsed.edits[row.blockIndex];
        printLine(`#${row.blockIndex + 1} ${row.path} (${options.edits}:${edit?.line ?? "?"}): ${row.text}`);
        const near = "didYouMean" in row ? row.didYouMean : undefined;
        if (near) {
          // The lines around it, numbered; `>` marks the nearest match itself.
          printLine(`  did you mean ${row.path}:${near.firstLine}-${near.lastLine}?`);
          const width = String(near.around.lastLine).length;
          for (const [index, line] of near.around.text.split("\n").entries()) {
            const number = near.around.firstLine + index;
            const mark = number >= near.firstLine && number <= near.lastLine ? ">" : " ";
            printLine(`  ${mark}${String(number).padStart(width)} | ${line}`);
          }
        }
      }
      const verb = options.dryRun ? "would change" : "changed";
      printLine(
        `${result.applied.length} applied, ${result.failed.length} failed; ${verb}: ${result.filesChanged.join(", ") || "nothing"}`,
      );
    });
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
