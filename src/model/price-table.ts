import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { UserError } from "../errors.js";
import type { Usage } from "./model.js";

/** Prices of one model, US dollars per million tokens. */
export interface Price {
  /** Uncached input, USD per million tokens. */
  input: number;
  /** Output (thinking included), USD per million tokens. */
  output: number;
  /** Input read from the prompt cache, USD per million tokens (default: `input`). */
  cache_read?: number;
  /** Input written to the prompt cache, USD per million tokens (default: `input`). */
  cache_write?: number;
}

/** Prices by `provider:model-id`. */
export type PriceTable = Record<string, Price>;

const priceSchema = z.object({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cache_read: z.number().nonnegative().optional(),
  cache_write: z.number().nonnegative().optional(),
});

/** Keys starting with `_` are notes (sources, dates), not models. */
function parsePriceTable(text: string, where: string): PriceTable {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UserError(`price table is not JSON: ${(error as Error).message}`, {
      where,
      hint: 'give {"provider:model": {"input": 1, "output": 5, "cache_read": 0.1, "cache_write": 1.25}}',
    });
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    throw new UserError("price table must be a JSON object keyed by provider:model", { where });
  }
  const table: PriceTable = {};
  for (const [key, value] of Object.entries(json)) {
    if (key.startsWith("_")) continue;
    const parsed = priceSchema.safeParse(value);
    if (!parsed.success) {
      throw new UserError(
        `price of ${key} is not {input, output, cache_read?, cache_write?} in USD per million tokens`,
        {
          where: `${where}: ${key}`,
          hint: parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; "),
        },
      );
    }
    table[key] = parsed.data;
  }
  return table;
}

/** The shipped prices (`data/prices.json`), extended and overridden by a user's JSON file. */
export function loadPriceTable(userFile?: string): PriceTable {
  const shipped = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "data", "prices.json");
  const table = parsePriceTable(readFileSync(shipped, "utf8"), "data/prices.json");
  if (!userFile) return table;
  let text: string;
  try {
    text = readFileSync(userFile, "utf8");
  } catch (error) {
    throw new UserError(
      `cannot read price table: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      {
        where: `--prices ${userFile}`,
        hint: "give a JSON file of USD per million tokens",
      },
    );
  }
  return { ...table, ...parsePriceTable(text, userFile) };
}

/**
 * The price of `provider:model-id`, also for dated snapshots of a listed model
 * (`claude-haiku-4-5-20251001`, `gpt-4.1-mini-2025-04-14`); undefined when unknown.
 */
export function findPrice(table: PriceTable, modelId: string): Price | undefined {
  const exact = table[modelId];
  if (exact) return exact;
  const undated = modelId.replace(/-(\d{8}|\d{4}-\d{2}-\d{2})$/, "");
  return undated === modelId ? undefined : table[undated];
}

/** Cost of one call in US dollars, or null when the model has no price (never a crash). */
export function computeCostUsd(table: PriceTable, modelId: string, usage: Usage): number | null {
  const price = findPrice(table, modelId);
  if (!price) return null;
  return (
    (usage.inputTokens * price.input +
      usage.outputTokens * price.output +
      usage.cacheReadTokens * (price.cache_read ?? price.input) +
      usage.cacheWriteTokens * (price.cache_write ?? price.input)) /
    1_000_000
  );
}
