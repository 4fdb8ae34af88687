import { readFileSync } from "node:fs";
import { UserError } from "../errors.js";
import { NAME_HINT, quoteName, unsafeNameProblem } from "./safe-name.js";

/** One SWE-bench prediction. */
export interface Prediction {
  /** The instance it answers. */
  instance_id: string;
  /** Who made it; `/` becomes `__` in paths, as the harness does. */
  model_name_or_path: string;
  /** A unified diff; empty or null counts as an empty patch. */
  model_patch: string | null;
}

/** The folder a model's predictions go in: `/` becomes `__`, as the harness does. */
export function modelFolderName(model: string): string {
  return model.replaceAll("/", "__");
}

// `folder` is what becomes the path; the message quotes the value as written in the file.
function refuseUnsafe(field: string, name: string, where: string, folder = name): void {
  const problem = unsafeNameProblem(folder);
  if (problem !== undefined)
    throw new UserError(`field ${field}: ${quoteName(name)} ${problem}`, { where, hint: NAME_HINT });
}

/** Reads predictions as JSONL, a JSON list, or a JSON dict keyed by instance id (SWE-agent's form). */
export function readPredictions(file: string): Prediction[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new UserError("cannot read predictions", { where: `--predictions=${file}` });
  }
  const parse = (json: string, where: string): unknown => {
    try {
      return JSON.parse(json);
    } catch (error) {
      throw new UserError(`not valid JSON: ${(error as Error).message}`, { where });
    }
  };
  const check = (row: unknown, where: string): Prediction => {
    const value = (row ?? {}) as Partial<Prediction>;
    if (typeof value.instance_id !== "string")
      throw new UserError("prediction without instance_id", { where });
    if (value.model_patch != null && typeof value.model_patch !== "string")
      throw new UserError("model_patch must be a string or null", { where });
    const model = String(value.model_name_or_path ?? "None");
    // Both name folders of the eval layout (`<model>/<instance_id>`), so both must be plain names.
    refuseUnsafe("instance_id", value.instance_id, where);
    refuseUnsafe("model_name_or_path", model, where, modelFolderName(model));
    return {
      instance_id: value.instance_id,
      model_name_or_path: model,
      model_patch: value.model_patch ?? null,
    };
  };
  const trimmed = text.trimStart();
  const whole = trimmed.startsWith("[") || (trimmed.startsWith("{") && !/}\s*\n\s*{/.test(trimmed));
  if (!whole)
    return text
      .split("\n")
      .map((line, index) => ({ line, where: `${file}:${index + 1}` }))
      .filter(({ line }) => line.trim())
      .map(({ line, where }) => check(parse(line, where), where));
  const parsed = parse(text, file);
  if (Array.isArray(parsed)) return parsed.map((row, index) => check(row, `${file}: item ${index + 1}`));
  const record = parsed as Record<string, unknown>;
  if (typeof record.instance_id === "string") return [check(record, file)];
  return Object.entries(record).map(([id, row]) =>
    check({ instance_id: id, ...(row as object) }, `${file}: ${id}`),
  );
}
