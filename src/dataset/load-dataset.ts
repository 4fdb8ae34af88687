import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { UserError } from "../errors.js";
import type { Instance } from "./instance.js";
import { validateRow } from "./validate-row.js";

/** A loaded, validated dataset. */
export interface Dataset {
  instances: Instance[];
  /** Where it came from (a path, or `demo`). */
  source: string;
  /** sha256 of the file's bytes (hex): identifies the exact dataset in runs and certificates. */
  digest: string;
}

/**
 * Loads SWE-bench rows from JSONL, a JSON array (or `{rows: [...]}`), or a HuggingFace parquet file.
 * Every row is validated; the first bad one stops everything with one line naming file, line or row,
 * and field. Duplicate ids are an error too.
 */
export async function loadDataset(path: string): Promise<Dataset> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new UserError(
      `cannot read dataset: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      {
        where: path,
        hint: "give a JSONL, JSON or parquet file of SWE-bench instances",
      },
    );
  }
  const digest = createHash("sha256").update(bytes).digest("hex");
  const instances = path.endsWith(".parquet")
    ? await loadParquet(path, bytes)
    : loadJson(path, bytes.toString("utf8"));
  const seen = new Map<string, string>();
  for (const [index, instance] of instances.entries()) {
    const earlier = seen.get(instance.instance_id);
    if (earlier) {
      throw new UserError(`duplicate instance_id ${instance.instance_id} (first at ${earlier})`, {
        where: `${path}:${index + 1}`,
        hint: "remove one of the two rows",
      });
    }
    seen.set(instance.instance_id, `row ${index + 1}`);
  }
  return { instances, source: path, digest };
}

function loadJson(path: string, text: string): Instance[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("[") || (trimmed.startsWith("{") && /^\{\s*"rows"\s*:/.test(trimmed))) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new UserError(`not valid JSON: ${(error as Error).message}`, { where: path });
    }
    const rows = Array.isArray(parsed) ? parsed : (parsed as { rows: unknown[] }).rows;
    return rows.map((row, index) => validateRow(row, `${path}: row ${index + 1}`));
  }
  const instances: Instance[] = [];
  const lines = text.split("\n");
  for (const [index, line] of lines.entries()) {
    if (!line.trim()) continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      throw new UserError(`line is not valid JSON (${(error as Error).message})`, {
        where: `${path}:${index + 1}`,
        hint: "each line of a JSONL file must be one JSON object",
      });
    }
    instances.push(validateRow(row, `${path}:${index + 1}`));
  }
  return instances;
}

async function loadParquet(path: string, bytes: Buffer): Promise<Instance[]> {
  const { parquetReadObjects } = await import("hyparquet");
  const { compressors } = await import("hyparquet-compressors");
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let rows: Record<string, unknown>[];
  try {
    rows = (await parquetReadObjects({ file, compressors })) as Record<string, unknown>[];
  } catch (error) {
    throw new UserError(`not a readable parquet file: ${(error as Error).message}`, {
      where: basename(path),
    });
  }
  return rows.map((row, index) => validateRow(row, `${path}: row ${index + 1}`));
}
