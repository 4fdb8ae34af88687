import { writeFileSync } from "node:fs";
import { parquetWriteBuffer } from "hyparquet-writer";

/**
 * Writes rows as a HuggingFace-style parquet file: text columns as STRING, FAIL_TO_PASS and
 * PASS_TO_PASS as JSON-encoded strings (as the official files have them), plus the given extra
 * columns (for int64 and v5-style columns).
 */
export function writeParquetDataset(
  path: string,
  rows: Record<string, unknown>[],
  extraColumns: { name: string; data: unknown[]; type: "INT64" | "STRING" }[] = [],
): void {
  const text = [
    "instance_id",
    "repo",
    "base_commit",
    "patch",
    "test_patch",
    "problem_statement",
    "hints_text",
    "created_at",
    "version",
    "environment_setup_commit",
  ].map((name) => ({ name, data: rows.map((row) => String(row[name] ?? "")), type: "STRING" as const }));
  const lists = ["FAIL_TO_PASS", "PASS_TO_PASS"].map((name) => ({
    name,
    data: rows.map((row) => (typeof row[name] === "string" ? row[name] : JSON.stringify(row[name]))),
    type: "STRING" as const,
  }));
  const buffer = parquetWriteBuffer({
    columnData: [...text, ...lists, ...extraColumns] as Parameters<
      typeof parquetWriteBuffer
    >[0]["columnData"],
  });
  writeFileSync(path, Buffer.from(buffer));
}
