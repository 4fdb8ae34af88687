import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { buildHarnessReport, type InstanceForGrading } from "../../grading/build-harness-report.js";
import { GRADING_RULES, type GradingRules } from "../../grading/rules.js";
import { printJson, printLine } from "../output.js";

function readText(path: string, flag: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    throw new UserError("cannot read file", { where: `${flag}=${path}`, hint: "check the path" });
  }
}

/** A test list as the dataset stores it: an array of strings, or that array JSON-encoded. */
function readTestList(row: Record<string, unknown>, field: string, where: string): string[] {
  let value = row[field];
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      throw new UserError(`field ${field} is a string but not a JSON list`, { where });
    }
  }
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string"))
    throw new UserError(`field ${field} must be a list of test ids`, { where });
  return value;
}

/** Reads ROW.json: only instance_id, repo, FAIL_TO_PASS and PASS_TO_PASS are required. */
function readInstanceRow(path: string): InstanceForGrading {
  const where = `--instance=${path}`;
  let row: unknown;
  try {
    row = JSON.parse(readText(path, "--instance"));
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`not JSON: ${(error as Error).message}`, { where });
  }
  if (typeof row !== "object" || row === null || Array.isArray(row))
    throw new UserError("expected one instance row (a JSON object)", { where });
  const fields = row as Record<string, unknown>;
  for (const field of ["instance_id", "repo", "FAIL_TO_PASS", "PASS_TO_PASS"]) {
    if (fields[field] === undefined || fields[field] === null)
      throw new UserError(`missing field ${field}`, {
        where,
        hint: "the row needs instance_id, repo, FAIL_TO_PASS, PASS_TO_PASS (and version for versioned specs)",
      });
  }
  const { instance_id, repo, version, FAIL_TO_PASS, PASS_TO_PASS, ...extra } = fields;
  return {
    instance_id: String(instance_id),
    repo: String(repo),
    version: version === undefined ? "" : String(version),
    FAIL_TO_PASS: readTestList(fields, "FAIL_TO_PASS", where),
    PASS_TO_PASS: readTestList(fields, "PASS_TO_PASS", where),
    // Everything else (log_parser, test_cmd, eval_script of v5 rows) goes where specFor looks for it.
    extra,
  };
}

export function registerGradeCommand(program: Command): void {
  program
    .command("grade")
    .description("grade an official eval log and print the harness's report.json for the instance")
    .requiredOption("--log <file>", "test_output.txt of an evaluation")
    .requiredOption(
      "--instance <file>",
      "the instance row as JSON (instance_id, repo, FAIL_TO_PASS, PASS_TO_PASS; version where specs need it)",
    )
    .option("--patch <file>", "the evaluated patch (omit to grade as patch_exists)")
    .option("--rules <rules>", "grading rules: v5 (current), v4 (2.1–4.x), v2 (2.0.x, 2024)", "v5")
    .option("--json", "JSON output (the default for this command)")
    .option("--human", "a one-line summary instead of JSON")
    .action((options: { log: string; instance: string; patch?: string; rules: string; human?: boolean }) => {
      if (!GRADING_RULES.includes(options.rules as GradingRules))
        throw new UserError("unknown rules", { where: `--rules=${options.rules}`, hint: "use v2, v4 or v5" });
      const instance = readInstanceRow(options.instance);
      const patch = options.patch ? readText(options.patch, "--patch") : "(patch not given)";
      const report = buildHarnessReport({
        instance,
        log: readText(options.log, "--log"),
        patch,
        rules: options.rules as GradingRules,
      });
      if (!options.human) return printJson(report);
      const entry = report[instance.instance_id];
      const status = entry?.tests_status;
      const count = (group: { success: string[]; failure: string[] } | undefined) =>
        group ? `${group.success.length}/${group.success.length + group.failure.length}` : "-";
      printLine(
        `${instance.instance_id}: ${entry?.resolved ? "resolved" : "not resolved"}` +
          (entry?.patch_successfully_applied
            ? ` (FAIL_TO_PASS ${count(status?.FAIL_TO_PASS)} pass, PASS_TO_PASS ${count(status?.PASS_TO_PASS)} pass)`
            : " (no gradable test output)"),
      );
    });
}
