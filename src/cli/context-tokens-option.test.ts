import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultContextTokens } from "../agent/default-context-tokens.js";
import { UserError } from "../errors.js";
import { openStore } from "../store/open-store.js";
import { settleContextTokens } from "./context-tokens-option.js";
import { runCli } from "./test-support/run-cli.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-context-tokens-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe("the default budget for code on attempt 1", () => {
  it("is larger for cheap long-context families, whatever the provider or cloud, and 24000 for the rest", () => {
    const budget = (spec: string) => defaultContextTokens(spec);
    expect(budget("anthropic:claude-haiku-4-5")).toEqual({ tokens: 32_000, family: "Claude Haiku" });
    expect(budget("bedrock:us.anthropic.claude-haiku-4-5-20251001-v1:0").family).toBe("Claude Haiku");
    expect(budget("vertex:claude-haiku-4-5@20251001").family).toBe("Claude Haiku");
    expect(budget("google:gemini-2.5-flash")).toEqual({ tokens: 48_000, family: "Gemini Flash" });
    expect(budget("openai-compatible:google/gemini-3-flash-preview").family).toBe("Gemini Flash");
    expect(budget("openai:gpt-5-mini")).toEqual({ tokens: 32_000, family: "GPT mini" });
    expect(budget("openai-compatible:openai/gpt-4.1-mini").family).toBe("GPT mini");
    for (const other of [
      "anthropic:claude-sonnet-4-5",
      "google:gemini-2.5-pro",
      "openai-compatible:qwen2.5-coder-7b",
      "oracle",
      "demo",
      // A transcript's path may spell a family's name; a replay is no model of it.
      "replay:runs/haiku-flash-mini/transcript.jsonl",
    ])
      expect(budget(other), other).toEqual({ tokens: 24_000, family: "other" });
  });

  it("is the flag when given, 24000 for a run recorded before budgets were kept, else the family's", () => {
    expect(settleContextTokens("9000", "anthropic:claude-haiku-4-5", [])).toBe("9000");
    expect(settleContextTokens(undefined, "anthropic:claude-haiku-4-5", ["context_tokens"])).toBe("24000");
    expect(settleContextTokens(undefined, "anthropic:claude-haiku-4-5", ["tools"])).toBe("32000");
    expect(() => settleContextTokens("lots", "demo", [])).toThrow(UserError);
    const oneLine = (value: string) => {
      try {
        settleContextTokens(value, "demo", []);
      } catch (error) {
        return error instanceof UserError ? error.oneLine() : String(error);
      }
      return "no error";
    };
    expect(oneLine("0")).toMatch(/^--context-tokens=0: must be a whole number of at least 1/);
  });
});

describe("swegate run --context-tokens", () => {
  const where = (store: string) => ["--cache-dir", join(scratch, "cache"), "--store", join(scratch, store)];
  const instance = ["--instances", "swegate-demo__calculator-1"];

  it("records the budget with the run's settings, shows less code under a small one, and a resume keeps it", () => {
    const small = runCli([
      "run",
      "--run-id",
      "small",
      "--context-tokens",
      "10",
      "--json",
      ...instance,
      ...where("s"),
    ]);
    expect(small.code, small.stderr).toBe(0);
    const usual = runCli(["run", "--run-id", "usual", "--json", ...instance, ...where("s")]);
    expect(usual.code, usual.stderr).toBe(0);
    const store = openStore(join(scratch, "s"));
    expect(store.getRun("small")?.config.context_tokens).toBe(10);
    // The demo model belongs to no family: the budget swegate always had.
    expect(store.getRun("usual")?.config.context_tokens).toBe(24_000);
    const prompt = (runId: string) =>
      store.getAttempts(runId, "swegate-demo__calculator-1")[0]?.prompt_tokens_estimate ?? 0;
    expect(prompt("small")).toBeGreaterThan(0);
    expect(prompt("small")).toBeLessThan(prompt("usual"));
    store.close();

    const refused = runCli(["run", "--resume", "small", "--context-tokens", "20", ...where("s")]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split("\n")).toEqual([
      "swegate: --context-tokens=20 contradicts run small, started with context_tokens 10 (drop the flag to resume as started)",
    ]);
  });
});
