import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../errors.js";
import type { Usage } from "./model.js";

/** USD per million tokens. */
export interface Price {
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
}

export type PriceTable = Record<string, Price>;

/** The shipped prices, extended/overridden by a user file (`{"provider:model": {input, output, ...}}`). */
export function loadPriceTable(userFile?: string): PriceTable {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const table = JSON.parse(readFileSync(join(root, "data", "prices.json"), "utf8")) as Record<
    string,
    unknown
  >;
  if (userFile) {
    try {
      Object.assign(table, JSON.parse(readFileSync(userFile, "utf8")));
    } catch (error) {
      throw new UserError(`cannot read price table: ${(error as Error).message}`, {
        where: userFile,
        hint: "give a JSON object",
      });
    }
  }
  return Object.fromEntries(Object.entries(table).filter(([key]) => !key.startsWith("_"))) as PriceTable;
}

/** Cost of one call, or null when the model has no price (never a crash). */
export function costOf(table: PriceTable, modelId: string, usage: Usage): number | null {
  const price = table[modelId];
  if (!price) return null;
  return (
    (usage.inputTokens * price.input +
      usage.outputTokens * price.output +
      usage.cacheReadTokens * (price.cache_read ?? price.input) +
      usage.cacheWriteTokens * (price.cache_write ?? price.input)) /
    1_000_000
  );
}
