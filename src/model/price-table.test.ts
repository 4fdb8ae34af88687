import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { createCostBudget } from "./create-cost-budget.js";
import {
  computeCostUsd,
  findOutputLimit,
  findPrice,
  loadPriceTable,
  type PriceTable,
  requirePriceForBudget,
} from "./price-table.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-prices-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const usage = {
  inputTokens: 1_000_000,
  outputTokens: 1_000_000,
  cacheReadTokens: 1_000_000,
  cacheWriteTokens: 1_000_000,
};

describe("price table", () => {
  it("ships the brief's Anthropic prices and skips note keys", () => {
    const table = loadPriceTable();
    expect(table["anthropic:claude-haiku-4-5"]).toMatchObject({
      input: 1,
      output: 5,
      cache_read: 0.1,
      cache_write: 1.25,
    });
    expect(table["anthropic:claude-sonnet-4-5"]).toMatchObject({
      input: 3,
      output: 15,
      cache_read: 0.3,
      cache_write: 3.75,
    });
    expect(Object.keys(table).some((key) => key.startsWith("_"))).toBe(false);
    for (const key of [
      "google:gemini-3-flash-preview",
      "google:gemini-2.5-flash",
      "openai:gpt-5-mini",
      "openai:gpt-4.1-mini",
    ])
      expect(table[key], key).toBeDefined();
  });

  it("prices every token kind and finds dated snapshots of a listed model", () => {
    const table = loadPriceTable();
    expect(computeCostUsd(table, "anthropic:claude-haiku-4-5", usage)).toBeCloseTo(1 + 5 + 0.1 + 1.25, 10);
    expect(findPrice(table, "anthropic:claude-haiku-4-5-20251001")).toBe(table["anthropic:claude-haiku-4-5"]);
    expect(findPrice(table, "openai:gpt-4.1-mini-2025-04-14")).toBe(table["openai:gpt-4.1-mini"]);
  });

  it("names its source beside every shipped price", () => {
    for (const [key, price] of Object.entries(loadPriceTable()))
      expect(price.source, key).toMatch(
        /^https:\/\/(platform\.claude\.com|ai\.google\.dev|developers\.openai\.com)\//,
      );
  });

  it("resolves the dated, -latest, -0 and cloud forms of a priced model", () => {
    const table: PriceTable = {
      ...loadPriceTable(),
      "anthropic:claude-3-5-haiku": { input: 0.8, output: 4 },
      "anthropic:claude-sonnet-4": { input: 3, output: 15 },
      "bedrock:claude-haiku-4-5": { input: 1, output: 5 },
      "vertex:claude-haiku-4-5": { input: 1, output: 5 },
    };
    const haiku = table["anthropic:claude-haiku-4-5"];
    expect(findPrice(table, "anthropic:claude-haiku-4-5-20251001")).toBe(haiku);
    expect(findPrice(table, "anthropic:claude-haiku-4-5-latest")).toBe(haiku);
    expect(findPrice(table, "anthropic:claude-3-5-haiku-latest")).toBe(table["anthropic:claude-3-5-haiku"]);
    expect(findPrice(table, "anthropic:claude-3-5-haiku-20241022")).toBe(table["anthropic:claude-3-5-haiku"]);
    expect(findPrice(table, "anthropic:claude-sonnet-4-0")).toBe(table["anthropic:claude-sonnet-4"]);
    expect(findPrice(table, "anthropic:claude-sonnet-4-20250514")).toBe(table["anthropic:claude-sonnet-4"]);
    expect(findPrice(table, "openai:gpt-5-mini-2025-08-07")).toBe(table["openai:gpt-5-mini"]);
    expect(findPrice(table, "bedrock:us.anthropic.claude-haiku-4-5-20251001-v1:0")).toBe(
      table["bedrock:claude-haiku-4-5"],
    );
    expect(findPrice(table, "vertex:claude-haiku-4-5@20251001")).toBe(table["vertex:claude-haiku-4-5"]);
    // A -0 alias is not a version: claude-sonnet-4-5 stays itself.
    expect(findPrice(table, "anthropic:claude-sonnet-4-5")).toBe(table["anthropic:claude-sonnet-4-5"]);
    // A price is per provider: Claude on Bedrock is not priced by Anthropic's entry.
    expect(findPrice(loadPriceTable(), "bedrock:anthropic.claude-haiku-4-5-20251001-v1:0")).toBeUndefined();
  });

  it("knows the output limit of models that write less than swegate asks for", () => {
    const table = loadPriceTable();
    expect(findOutputLimit(table, "anthropic:claude-3-haiku-20240307")).toBe(4096);
    expect(findOutputLimit(table, "bedrock:anthropic.claude-3-haiku-20240307-v1:0")).toBe(4096);
    expect(findOutputLimit(table, "vertex:claude-3-haiku@20240307")).toBe(4096);
    expect(findOutputLimit(table, "anthropic:claude-3-5-haiku-latest")).toBe(8192);
    expect(
      findOutputLimit(
        { "openai-compatible:x": { input: 1, output: 1, max_output: 2048 } },
        "openai-compatible:x",
      ),
    ).toBe(2048);
    expect(findOutputLimit(table, "anthropic:claude-haiku-4-5")).toBeUndefined();
  });

  it("refuses a spending limit with an unpriced language model, unless a price is given", () => {
    const table = loadPriceTable();
    expect(() => requirePriceForBudget(table, "openai-compatible:my-llama", 5)).toThrow(UserError);
    expect(() => requirePriceForBudget(table, "openai-compatible:my-llama", 5)).toThrow(
      /has no price.*--max-cost-usd/,
    );
    requirePriceForBudget(table, "openai-compatible:my-llama", undefined);
    requirePriceForBudget(
      { ...table, "openai-compatible:my-llama": { input: 0, output: 0 } },
      "openai-compatible:my-llama",
      5,
    );
    requirePriceForBudget(table, "anthropic:claude-haiku-4-5-20251001", 5);
    for (const scripted of ["demo", "oracle", "replay:runs/x"]) requirePriceForBudget(table, scripted, 5);
  });

  it("gives null for an unknown model, never a crash", () => {
    expect(computeCostUsd(loadPriceTable(), "openai-compatible:my-llama", usage)).toBeNull();
  });

  it("lets a user file add and override prices; missing cache prices fall back to input", () => {
    const file = join(scratch, "prices.json");
    writeFileSync(
      file,
      JSON.stringify({
        "openai-compatible:my-llama": { input: 2, output: 4 },
        "anthropic:claude-haiku-4-5": { input: 9, output: 9 },
      }),
    );
    const table = loadPriceTable(file);
    expect(computeCostUsd(table, "openai-compatible:my-llama", usage)).toBeCloseTo(2 + 4 + 2 + 2, 10);
    expect(table["anthropic:claude-haiku-4-5"]).toEqual({ input: 9, output: 9 });
    expect(table["google:gemini-2.5-flash"]).toBeDefined();
  });

  it("names the file and the model when a user price is malformed", () => {
    const file = join(scratch, "bad.json");
    writeFileSync(file, JSON.stringify({ "openai:x": { input: "cheap", output: 1 } }));
    expect(() => loadPriceTable(file)).toThrow(UserError);
    try {
      loadPriceTable(file);
    } catch (error) {
      expect((error as UserError).oneLine()).toContain(`${file}: openai:x`);
    }
    writeFileSync(file, "{ nope");
    expect(() => loadPriceTable(file)).toThrow(/not JSON/);
    expect(() => loadPriceTable(join(scratch, "absent.json"))).toThrow(/ENOENT/);
  });
});

describe("createCostBudget", () => {
  it("is exceeded once spending reaches the limit and counts unpriced calls apart", () => {
    const budget = createCostBudget(1);
    budget.spend(0.4);
    budget.spend(null);
    expect(budget.exceeded()).toBe(false);
    expect(budget.remainingUsd()).toBeCloseTo(0.6, 10);
    budget.spend(0.6);
    expect(budget.exceeded()).toBe(true);
    expect(budget.spentUsd()).toBeCloseTo(1, 10);
    expect(budget.unpricedCalls()).toBe(1);
    expect(budget.remainingUsd()).toBe(0);
  });

  it("without a limit is never exceeded, and rejects a negative limit", () => {
    const budget = createCostBudget();
    budget.spend(1e9);
    expect(budget.exceeded()).toBe(false);
    expect(() => createCostBudget(-1)).toThrow(RangeError);
  });
});
