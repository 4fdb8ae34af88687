import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { buildHarnessReport } from "../../grading/build-harness-report.js";
import { GRADING_RULES, type GradingRules } from "../../grading/rules.js";
import { printJson } from "../output.js";

function readText(path: string, flag: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    throw new UserError("cannot read file", { where: `${flag}=${path}` });
  }
}

export function registerGradeCommand(program: Command): void {
  program
    .command("grade")
    .description("grade an official eval log and print the harness's report.json for the instance")
    .requiredOption("--log <file>", "test_output.txt of an evaluation")
    .requiredOption(
      "--instance <file>",
      "the instance row as JSON (instance_id, repo, FAIL_TO_PASS, PASS_TO_PASS, version)",
    )
    .option("--patch <file>", "the evaluated patch (omit to grade as patch_exists)")
    .option("--rules <rules>", "grading rules: v5 (current), v4 (2.1–4.x), v2 (2.0.x, 2024)", "v5")
    .option("--json", "JSON output (the default for this command)")
    .action((options: { log: string; instance: string; patch?: string; rules: string }) => {
      if (!GRADING_RULES.includes(options.rules as GradingRules))
        throw new UserError("unknown rules", { where: `--rules=${options.rules}`, hint: "use v2, v4 or v5" });
      let row: Record<string, unknown>;
      try {
        row = JSON.parse(readText(options.instance, "--instance"));
      } catch (error) {
        if (error instanceof UserError) throw error;
        throw new UserError(`not JSON: ${(error as Error).message}`, {
          where: `--instance=${options.instance}`,
        });
      }
      for (const field of ["instance_id", "repo", "FAIL_TO_PASS", "PASS_TO_PASS"]) {
        if (row[field] === undefined)
          throw new UserError(`missing field ${field}`, {
            where: options.instance,
            hint: "the row needs instance_id, repo, FAIL_TO_PASS, PASS_TO_PASS",
          });
      }
      const list = (value: unknown) =>
        typeof value === "string" ? (JSON.parse(value) as string[]) : (value as string[]);
      const instance = {
        instance_id: String(row.instance_id),
        repo: String(row.repo),
        version: String(row.version ?? ""),
        FAIL_TO_PASS: list(row.FAIL_TO_PASS),
        PASS_TO_PASS: list(row.PASS_TO_PASS),
        extra: { test_cmd: row.test_cmd, log_parser: row.log_parser },
      };
      const patch = options.patch ? readText(options.patch, "--patch") : "(patch not given)";
      printJson(
        buildHarnessReport({
          instance,
          log: readText(options.log, "--log"),
          patch,
          rules: options.rules as GradingRules,
        }),
      );
    });
}
