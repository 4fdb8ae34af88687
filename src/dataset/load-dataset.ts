import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { UserError } from "../errors.js";
import type { Instance } from "./instance.js";
import { validateRow } from "./validate-row.js";

/** A loaded, validated dataset. */
export interface Dataset {
  /** The validated rows, in file order. */
  instances: Instance[];
  /** Where it came from (a path, or `demo`). */
  source: string;
  /** sha256 of the file's bytes (hex): identifies the exact dataset in runs and certificates. */
  digest: string;
}

/** One raw row and where it sits in its file, for error messages. */
interface LocatedRow {
  /** The parsed row, not yet validated. */
  row: unknown;
  /** `file:line` (JSONL) or `file: row N` (JSON array, parquet; N counts from 1). */
  where: string;
}

/**
 * Loads SWE-bench rows from JSONL, a JSON array (or `{rows: [...]}`), or a HuggingFace parquet file.
 * Every row is validated; the first bad one stops everything with one line naming file, line or row,
 * and field. Duplicate ids and a file without rows are errors too.
 */
export async function loadDataset(path: string): Promise<Dataset> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new UserError(`cannot read dataset: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      where: path,
      hint: "give a JSONL, JSON or parquet file of SWE-bench instances",
    });
  }
  const digest = createHash("sha256").update(bytes).digest("hex");
  const rows = isParquet(path, bytes) ? await readParquetRows(path, bytes) : readJsonRows(path, bytes);
  // An empty file is a wrong path or a failed export, never a dataset: say so before an empty run is recorded.
  if (rows.length === 0) {
    throw new UserError("the dataset has no instances", {
      where: path,
      hint: "give a JSONL, JSON or parquet file with at least one SWE-bench instance",
    });
  }
  const firstSeen = new Map<string, string>();
  const instances: Instance[] = [];
  for (const { row, where } of rows) {
    const instance = validateRow(row, where);
    const earlier = firstSeen.get(instance.instance_id);
    if (earlier !== undefined) {
      throw new UserError(`duplicate instance_id ${instance.instance_id} (first at ${earlier})`, {
        where,
        hint: "remove one of the two rows",
      });
    }
    firstSeen.set(instance.instance_id, where);
    instances.push(instance);
  }
  return { instances, source: path, digest };
}

// Parquet files start and end with the magic bytes `PAR1`; trust them over the file name.
function isParquet(path: string, bytes: Buffer): boolean {
  const magic = bytes.length >= 8 && bytes.subarray(0, 4).toString("latin1") === "PAR1";
  return magic || path.endsWith(".parquet");
}

function readJsonRows(path: string, bytes: Buffer): LocatedRow[] {
  const text = bytes.toString("utf8");
  const trimmed = text.trimStart();
  if (trimmed.startsWith("[") || /^\{\s*"rows"\s*:/.test(trimmed)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new UserError(`not valid JSON: ${(error as Error).message}`, {
        where: path,
        hint: "give a JSON array of instances, or JSONL with one instance per line",
      });
    }
    const rows = Array.isArray(parsed) ? parsed : (parsed as { rows: unknown }).rows;
    if (!Array.isArray(rows)) {
      throw new UserError("`rows` is not a list", { where: path, hint: "give a JSON array of instances" });
    }
    return rows.map((row, index) => ({ row, where: `${path}: row ${index + 1}` }));
  }
  const rows: LocatedRow[] = [];
  for (const [index, line] of text.split("\n").entries()) {
    if (!line.trim()) continue;
    const where = `${path}:${index + 1}`;
    try {
      rows.push({ row: JSON.parse(line), where });
    } catch (error) {
      throw new UserError(`line is not valid JSON (${(error as Error).message})`, {
        where,
        hint: "each line of a JSONL file must be one JSON object",
      });
    }
  }
  return rows;
}

async function readParquetRows(path: string, bytes: Buffer): Promise<LocatedRow[]> {
  const { parquetReadObjects } = await import("hyparquet");
  const { compressors } = await import("hyparquet-compressors");
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let rows: Record<string, unknown>[];
  try {
    rows = (await parquetReadObjects({ file, compressors })) as Record<string, unknown>[];
  } catch (error) {
    throw new UserError(`not a readable parquet file: ${(error as Error).message}`, {
      where: path,
      hint: "download it again (`swegate dataset fetch`), or give JSONL",
    });
  }
  return rows.map((row, index) => ({ row: toPlainRow(row), where: `${path}: row ${index + 1}` }));
}

// Parquet int64 columns arrive as BigInt and timestamps as Date; neither survives JSON.stringify,
// and instances end up in JSON (store, reports), so convert them once here.
function toPlainRow(row: Record<string, unknown>): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) plain[key] = toPlainValue(value);
  return plain;
}

function toPlainValue(value: unknown): unknown {
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : String(value);
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toPlainValue);
  if (value && typeof value === "object" && !(value instanceof Uint8Array)) {
    return toPlainRow(value as Record<string, unknown>);
  }
  return value;
}
