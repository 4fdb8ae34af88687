import { UserError } from "../errors.js";
import type { Instance } from "./instance.js";
import { NAME_HINT, quoteName, unsafeNameProblem } from "./safe-name.js";

const KNOWN = new Set([
  "instance_id",
  "repo",
  "base_commit",
  "patch",
  "test_patch",
  "problem_statement",
  "hints_text",
  "created_at",
  "version",
  "FAIL_TO_PASS",
  "PASS_TO_PASS",
  "environment_setup_commit",
]);

/** Turns one raw row into an Instance, or throws a UserError naming `where` (file:line) and the field. */
export function validateRow(raw: unknown, where: string): Instance {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
    throw new UserError("row is not a JSON object", {
      where,
      hint: "each row must be one SWE-bench instance object",
    });
  }
  const row = raw as Record<string, unknown>;
  const fail = (field: string, expected: string): never => {
    throw new UserError(`field ${field}: expected ${expected}, got ${describe(row[field])}`, {
      where,
      hint: "fix the row or drop it from the file",
    });
  };
  const text = (field: string, required: boolean): string => {
    const value = row[field];
    if (value === undefined || value === null) return required ? fail(field, "a string") : "";
    if (typeof value === "number" || typeof value === "bigint") return String(value);
    return typeof value === "string" ? value : fail(field, "a string");
  };
  const list = (field: string): string[] => {
    let value = row[field];
    if (typeof value === "string") {
      try {
        value = JSON.parse(value);
      } catch {
        return fail(field, "a JSON list of strings");
      }
    }
    if (value === undefined || value === null) return fail(field, "a JSON list of strings");
    if (!Array.isArray(value) || !value.every((item) => typeof item === "string"))
      return fail(field, "a JSON list of strings");
    return value as string[];
  };
  const instance: Instance = {
    instance_id: text("instance_id", true),
    repo: text("repo", true),
    base_commit: text("base_commit", true),
    patch: text("patch", false),
    test_patch: text("test_patch", true),
    problem_statement: text("problem_statement", false),
    hints_text: text("hints_text", false),
    created_at: text("created_at", false),
    version: text("version", false),
    FAIL_TO_PASS: list("FAIL_TO_PASS"),
    PASS_TO_PASS: list("PASS_TO_PASS"),
    environment_setup_commit: text("environment_setup_commit", false),
    extra: Object.fromEntries(Object.entries(row).filter(([key]) => !KNOWN.has(key))),
  };
  // The id names the instance's folders (store, eval logs): it must stay one plain folder name.
  const idProblem = unsafeNameProblem(instance.instance_id);
  if (idProblem !== undefined) {
    throw new UserError(`field instance_id: ${quoteName(instance.instance_id)} ${idProblem}`, {
      where,
      hint: NAME_HINT,
    });
  }
  // `.` and `..` would turn `{owner}`/`{name}` in a --repo-url template into a walk up the tree.
  if (
    !/^[\w.-]+\/[\w.-]+$/.test(instance.repo) ||
    instance.repo.split("/").some((part) => /^\.+$/.test(part))
  )
    fail("repo", "owner/name");
  if (!/^[0-9a-f]{7,40}$/.test(instance.base_commit)) fail("base_commit", "a git commit hash");
  // A row without a failing test proves nothing: every fix "passes" it. SWE-bench rows always have one.
  if (instance.FAIL_TO_PASS.length === 0) fail("FAIL_TO_PASS", "at least one test");
  return instance;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text =
    JSON.stringify(value, (_key, item) => (typeof item === "bigint" ? String(item) : item)) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
