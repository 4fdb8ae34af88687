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
  /** The model's own output token limit, when it is lower than what swegate would ask for. */
  max_output?: number;
  /** Where the price was read (the vendor's pricing page). */
  source?: string;
  /** When it was read there (YYYY-MM-DD). */
  checked?: string;
}

/** Prices by `provider:model-id`. */
export type PriceTable = Record<string, Price>;

const priceSchema = z.object({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cache_read: z.number().nonnegative().optional(),
  cache_write: z.number().nonnegative().optional(),
  max_output: z.number().int().positive().optional(),
  source: z.string().optional(),
  checked: z.string().optional(),
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
 * The names a model id may stand for, most specific first: the id itself, then without a Bedrock
 * region and vendor prefix (`us.anthropic.`) and version (`-v1:0`), a Vertex `@20241022` or
 * `@latest`, a `-latest`, a date (`-20251001`, `-2025-04-14`), and a trailing `-0`
 * (`claude-sonnet-4-0` is `claude-sonnet-4`).
 */
export function modelAliases(modelName: string): string[] {
  const names = [modelName];
  const strip = (pattern: RegExp) => {
    const last = names[names.length - 1] as string;
    const next = last.replace(pattern, "");
    if (next !== last && next) names.push(next);
  };
  strip(/^(?:us|eu|apac|au|ca|jp|us-gov|global)\./);
  strip(/^(?:anthropic|amazon|meta|mistral|cohere|ai21|deepseek|openai|qwen|google)\./);
  strip(/-v\d+(?::\d+)?$/);
  strip(/@(?:\d{8}|latest)$/);
  strip(/-latest$/);
  strip(/-(?:\d{8}|\d{4}-\d{2}-\d{2})$/);
  strip(/-0$/);
  return names;
}

/** `provider:model-id` split at the first colon (Bedrock ids hold colons too). */
function splitSpec(modelId: string): { provider: string; name: string } {
  const at = modelId.indexOf(":");
  return at < 0
    ? { provider: "", name: modelId }
    : { provider: modelId.slice(0, at), name: modelId.slice(at + 1) };
}

/**
 * The price of `provider:model-id`, also for its aliases (`claude-haiku-4-5-20251001`,
 * `claude-3-5-haiku-latest`, `claude-sonnet-4-0`, `gpt-4.1-mini-2025-04-14`); undefined when unknown.
 * A price is per provider: Claude on Bedrock is priced only by a `bedrock:` entry.
 */
export function findPrice(table: PriceTable, modelId: string): Price | undefined {
  const { provider, name } = splitSpec(modelId);
  for (const alias of modelAliases(name)) {
    const price = table[provider ? `${provider}:${alias}` : alias];
    if (price) return price;
  }
  return undefined;
}

/**
 * Output limits of models whose limit is below what swegate asks for by default, from the vendors'
 * model pages (Anthropic's models overview: Claude 3 Haiku and Claude 3 Opus write at most 4096
 * tokens; Claude 3.5 Haiku 8192). Matched on the model's name, whichever provider serves it.
 */
const OUTPUT_LIMITS: Readonly<Record<string, number>> = {
  "claude-3-haiku": 4096,
  "claude-3-opus": 4096,
  "claude-3-sonnet": 4096,
  "claude-3-5-haiku": 8192,
  "claude-3-5-sonnet": 8192,
};

/**
 * The most output tokens `provider:model-id` can write: a price entry's `max_output` (a user's
 * `--prices` file may set one), else the known limit of its model family; undefined when unknown.
 */
export function findOutputLimit(table: PriceTable, modelId: string): number | undefined {
  const fromTable = findPrice(table, modelId)?.max_output;
  if (fromTable !== undefined) return fromTable;
  for (const alias of modelAliases(splitSpec(modelId).name)) {
    const limit = OUTPUT_LIMITS[alias];
    if (limit !== undefined) return limit;
  }
  return undefined;
}

/** Models that spend nothing: the scripted stand-ins. */
const isScripted = (modelId: string) =>
  modelId === "demo" || modelId === "oracle" || modelId.startsWith("replay:");

/**
 * Refuses a spending limit that could never stop the run: with `--max-cost-usd`, a language model
 * with no price in the table is a UserError (exit 2) naming the model and how to price it.
 */
export function requirePriceForBudget(
  table: PriceTable,
  modelId: string,
  maxCostUsd: number | undefined,
): void {
  if (maxCostUsd === undefined || isScripted(modelId) || findPrice(table, modelId)) return;
  throw new UserError(`${modelId} has no price, so --max-cost-usd could never stop the run`, {
    where: `--model ${modelId}`,
    hint: `give its price with --prices FILE, e.g. {"${modelId}": {"input": 1, "output": 5}} in USD per million tokens`,
  });
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
