import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { UserError } from "../errors.js";

/** Interpreter per `repo@version`, `repo`, or `*` (most specific wins). Values: a python path or a venv folder. */
export type PythonConfig = Record<string, string>;

/** Reads a JSON or YAML mapping file; a bad file is a one-line user error naming it. */
export function loadPythonConfig(file: string): PythonConfig {
  let parsed: unknown;
  try {
    parsed = parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UserError(`cannot read interpreter config: ${(error as Error).message.split("\n")[0]}`, {
      where: file,
      hint: "give a JSON or YAML mapping of repo@version to a python path",
    });
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new UserError("interpreter config must be a mapping of repo@version to a python path", {
      where: file,
    });
  }
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== "string" || !value) {
      throw new UserError(`key ${JSON.stringify(key)} must map to a python path or venv folder`, {
        where: file,
      });
    }
  }
  return parsed as PythonConfig;
}

/** The interpreter for an instance: `--python` beats the config, which beats `python3`. */
export function resolvePython(
  config: PythonConfig | undefined,
  instance: { repo: string; version: string },
  override?: string,
): string {
  if (override) return override;
  return (
    config?.[`${instance.repo}@${instance.version}`] ?? config?.[instance.repo] ?? config?.["*"] ?? "python3"
  );
}
