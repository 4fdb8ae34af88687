import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { converse, MAX_TOOL_ROUNDS } from "../agent/converse.js";
import { runCli } from "../cli/test-support/run-cli.js";
import { EnvironmentError } from "../errors.js";
import { createModel, type ModelSettings } from "./create-model.js";
import type { ModelMessage, ModelRequest } from "./model.js";
import { loadPriceTable } from "./price-table.js";
import { readProviderAccess } from "./read-api-key.js";
import { answerJson, type JsonHandler, serveJson } from "./test-support/serve-json.js";

/**
 * Each failure a review found in requests to real providers, against a local server that answers
 * as the provider does: the documented status and error body when the request is one it rejects.
 */

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});
const scratch = mkdtempSync(join(tmpdir(), "swegate-provider-failures-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function serve(handler: JsonHandler) {
  const server = await serveJson(handler);
  closers.push(server.close);
  return server;
}

function settings(baseUrl: string, waits: number[] = [], extra: Partial<ModelSettings> = {}): ModelSettings {
  return {
    baseUrl,
    apiKey: "test-key",
    prices: loadPriceTable(),
    maxRetries: 3,
    timeoutMs: 5000,
    sleep: async (milliseconds) => {
      waits.push(milliseconds);
    },
    ...extra,
  };
}

/** Anthropic's Message object as documented. */
const anthropicAnswer = (content: unknown[], stop = "end_turn") => ({
  id: "msg_1",
  type: "message",
  role: "assistant",
  model: "claude-haiku-4-5-20251001",
  content,
  stop_reason: stop,
  stop_sequence: null,
  usage: { input_tokens: 10, output_tokens: 2 },
});
const anthropicError = (message: string) => ({
  type: "error",
  error: { type: "invalid_request_error", message },
});
/** Gemini's GenerateContentResponse as documented. */
const geminiAnswer = (parts: unknown[]) => ({
  candidates: [{ content: { role: "model", parts }, finishReason: "STOP", index: 0 }],
  usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 2, totalTokenCount: 12 },
  modelVersion: "gemini-2.5-flash",
});

/** An earlier attempt whose answer was empty (a model cut off, or one that said nothing). */
const afterEmptyAnswer: ModelRequest = {
  system: "be brief",
  messages: [
    { role: "user", content: "fix it" },
    { role: "assistant", content: "" },
    { role: "user", content: "your answer had no SEARCH/REPLACE blocks" },
  ],
  instanceId: "x",
  maxOutputTokens: 1000,
};

describe("an empty answer never becomes a request the provider rejects", () => {
  it("anthropic: no message goes out with empty content (the API's 400 otherwise)", async () => {
    const server = await serve((seen, response) => {
      const messages = seen.body.messages as { content: unknown }[];
      const empty = messages.findIndex(
        (message, index) =>
          index < messages.length - 1 &&
          (message.content === "" ||
            (Array.isArray(message.content) &&
              (message.content.length === 0 ||
                message.content.some((block) => block.type === "text" && !block.text)))),
      );
      if (empty >= 0)
        return answerJson(
          response,
          400,
          anthropicError(
            `messages.${empty}: all messages must have non-empty content except for the optional final assistant message`,
          ),
        );
      answerJson(response, 200, anthropicAnswer([{ type: "text", text: "patched" }]));
    });
    const model = createModel("anthropic:claude-haiku-4-5", settings(server.origin));
    expect(await model.complete(afterEmptyAnswer)).toMatchObject({ ok: true, text: "patched" });
  });

  it("gemini: no content goes out without data in its parts (the API's 400 otherwise)", async () => {
    const server = await serve((seen, response) => {
      const contents = seen.body.contents as { parts: Record<string, unknown>[] }[];
      const empty = contents.findIndex(
        (content) =>
          content.parts.length === 0 ||
          content.parts.some((part) => !part.text && !part.functionCall && !part.functionResponse),
      );
      if (empty >= 0)
        return answerJson(response, 400, {
          error: {
            code: 400,
            message: `* GenerateContentRequest.contents[${empty}].parts[0].data: required oneof field 'data' must have one initialized field\n`,
            status: "INVALID_ARGUMENT",
          },
        });
      answerJson(response, 200, geminiAnswer([{ text: "patched" }]));
    });
    const model = createModel("google:gemini-2.5-flash", settings(`${server.origin}/v1beta`));
    expect(await model.complete(afterEmptyAnswer)).toMatchObject({ ok: true, text: "patched" });
  });
});

describe("Gemini's errors as the API sends them", () => {
  const quotaError = (quotaId: string, retryDelay: string) => ({
    error: {
      code: 429,
      message: "You exceeded your current quota, please check your plan and billing details.",
      status: "RESOURCE_EXHAUSTED",
      details: [
        {
          "@type": "type.googleapis.com/google.rpc.QuotaFailure",
          violations: [
            {
              quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests",
              quotaId,
              quotaDimensions: { location: "global", model: "gemini-2.5-flash" },
              quotaValue: "10",
            },
          ],
        },
        {
          "@type": "type.googleapis.com/google.rpc.Help",
          links: [
            {
              description: "Learn more about Gemini API quotas",
              url: "https://ai.google.dev/gemini-api/docs/rate-limits",
            },
          ],
        },
        { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay },
      ],
    },
  });

  it("a 429 waits the RetryInfo.retryDelay in its body, then succeeds", async () => {
    const server = await serve((_seen, response, index) =>
      index === 0
        ? answerJson(
            response,
            429,
            quotaError("GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "34.4s"),
          )
        : answerJson(response, 200, geminiAnswer([{ text: "patched" }])),
    );
    const waits: number[] = [];
    const model = createModel("google:gemini-2.5-flash", settings(`${server.origin}/v1beta`, waits));
    expect(await model.complete(afterEmptyAnswer)).toMatchObject({ ok: true, text: "patched" });
    expect(waits).toEqual([34_400]);
    expect(server.seen).toHaveLength(2);
  });

  it("a used-up daily quota is not retried: infrastructure, not the model, and no waiting all day", async () => {
    const server = await serve((_seen, response) =>
      answerJson(response, 429, quotaError("GenerateRequestsPerDayPerProjectPerModel-FreeTier", "20s")),
    );
    const waits: number[] = [];
    const model = createModel("google:gemini-2.5-flash", settings(`${server.origin}/v1beta`, waits));
    const answer = await model.complete(afterEmptyAnswer);
    expect(answer).toMatchObject({ ok: false, kind: "infra", status: 429, retries: 0 });
    if (!answer.ok) expect(answer.message).toContain("GenerateRequestsPerDayPerProjectPerModel-FreeTier");
    expect(waits).toEqual([]);
    expect(server.seen).toHaveLength(1);
  });

  it("a 400 whose details say API_KEY_INVALID is a refused key (kind auth), in Google's words", async () => {
    const server = await serve((_seen, response) =>
      answerJson(response, 400, {
        error: {
          code: 400,
          message: "API key not valid. Please pass a valid API key.",
          status: "INVALID_ARGUMENT",
          details: [
            {
              "@type": "type.googleapis.com/google.rpc.ErrorInfo",
              reason: "API_KEY_INVALID",
              domain: "googleapis.com",
              metadata: { service: "generativelanguage.googleapis.com" },
            },
          ],
        },
      }),
    );
    const model = createModel("google:gemini-2.5-flash", settings(`${server.origin}/v1beta`));
    const answer = await model.complete(afterEmptyAnswer);
    expect(answer).toMatchObject({
      ok: false,
      kind: "auth",
      status: 400,
      message: "INVALID_ARGUMENT: API key not valid. Please pass a valid API key.",
    });
    expect(server.seen).toHaveLength(1);
  });
});

describe("the last tool round offers no tool", () => {
  const tool = {
    name: "view_file",
    description: "show a file",
    parameters: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
  };
  const ask: ModelRequest = {
    system: "s",
    messages: [{ role: "user", content: "fix it" }],
    tools: [tool],
    toolChoice: "none",
  };

  it("each provider is told in its own words that the model must answer in text", async () => {
    const anthropic = await serve((_seen, response) =>
      answerJson(response, 200, anthropicAnswer([{ type: "text", text: "done" }])),
    );
    await createModel("anthropic:claude-haiku-4-5", settings(anthropic.origin)).complete(ask);
    // The tools stay declared: Anthropic refuses tool_use blocks in a conversation without them.
    expect(anthropic.seen[0]?.body).toMatchObject({ tool_choice: { type: "none" } });
    expect(anthropic.seen[0]?.body.tools).toHaveLength(1);

    const gemini = await serve((_seen, response) =>
      answerJson(response, 200, geminiAnswer([{ text: "done" }])),
    );
    await createModel("google:gemini-2.5-flash", settings(`${gemini.origin}/v1beta`)).complete(ask);
    expect(gemini.seen[0]?.body).toMatchObject({ toolConfig: { functionCallingConfig: { mode: "NONE" } } });

    const openai = await serve((_seen, response) =>
      answerJson(response, 200, {
        id: "chatcmpl-1",
        object: "chat.completion",
        created: 1764500000,
        model: "gpt-5-mini-2025-08-07",
        choices: [{ index: 0, message: { role: "assistant", content: "done" }, finish_reason: "stop" }],
      }),
    );
    await createModel("openai:gpt-5-mini", settings(`${openai.origin}/v1`)).complete(ask);
    expect(openai.seen[0]?.body).toMatchObject({ tool_choice: "none" });
  });

  it("the agent's tool loop forbids tools on its last round, so its final answer is text", async () => {
    const checkout = mkdtempSync(join(scratch, "checkout-"));
    writeFileSync(join(checkout, "a.py"), "x = 1\n");
    // Like the real API: a model asked for a tool call keeps asking, unless tool_choice is none.
    const server = await serve((seen, response, index) => {
      const forbidden = (seen.body.tool_choice as { type?: string } | undefined)?.type === "none";
      answerJson(
        response,
        200,
        forbidden
          ? anthropicAnswer([{ type: "text", text: "final answer" }])
          : anthropicAnswer(
              [{ type: "tool_use", id: `toolu_${index}`, name: "view_file", input: { path: "a.py" } }],
              "tool_use",
            ),
      );
    });
    const model = createModel("anthropic:claude-haiku-4-5", settings(server.origin));
    const messages: ModelMessage[] = [{ role: "user", content: "fix it" }];
    const turn = await converse({
      model,
      messages,
      request: { system: "s", instanceId: "x" },
      tools: { dir: checkout, files: ["a.py"] },
    });
    expect(server.seen).toHaveLength(MAX_TOOL_ROUNDS + 1);
    const choices = server.seen.map((seen) => (seen.body.tool_choice as { type?: string } | undefined)?.type);
    expect(choices.slice(0, -1).every((choice) => choice !== "none")).toBe(true);
    expect(server.seen.at(-1)?.body.tool_choice).toEqual({ type: "none" });
    expect(turn.response).toMatchObject({ ok: true, text: "final answer" });
    expect(turn.response.ok && turn.response.toolCalls).toBeFalsy();
  });
});

describe("per-model output limits", () => {
  it("claude-3-haiku is never asked for more than its 4096 output tokens (the API's 400 otherwise)", async () => {
    const server = await serve((seen, response) => {
      const maxTokens = seen.body.max_tokens as number;
      if (maxTokens > 4096)
        return answerJson(
          response,
          400,
          anthropicError(
            `max_tokens: ${maxTokens} > 4096, which is the maximum allowed number of output tokens for claude-3-haiku-20240307`,
          ),
        );
      answerJson(response, 200, anthropicAnswer([{ type: "text", text: "patched" }]));
    });
    const model = createModel(
      "anthropic:claude-3-haiku-20240307",
      settings(server.origin, [], { maxOutputTokens: 8192 }),
    );
    expect(await model.complete({ ...afterEmptyAnswer, maxOutputTokens: 8192 })).toMatchObject({ ok: true });
    expect(await model.complete({ ...afterEmptyAnswer, maxOutputTokens: undefined })).toMatchObject({
      ok: true,
    });
    expect(server.seen.map((seen) => seen.body.max_tokens)).toEqual([4096, 4096]);
  });
});

describe("cloud providers", () => {
  it("bedrock: Claude 3 Haiku through the Converse API, signed with the AWS key pair, within its output limit", async () => {
    const server = await serve((_seen, response) =>
      answerJson(response, 200, {
        output: { message: { role: "assistant", content: [{ text: "patched" }] } },
        stopReason: "end_turn",
        usage: { inputTokens: 10, outputTokens: 2, totalTokens: 12 },
        metrics: { latencyMs: 120 },
      }),
    );
    const model = createModel(
      "bedrock:anthropic.claude-3-haiku-20240307-v1:0",
      settings(server.origin, [], {
        apiKey: undefined,
        environment: {
          AWS_REGION: "us-east-1",
          AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
          AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        },
      }),
    );
    const answer = await model.complete({ ...afterEmptyAnswer, maxOutputTokens: 8192 });
    expect(answer).toMatchObject({ ok: true, text: "patched", usage: { inputTokens: 10, outputTokens: 2 } });
    const seen = server.seen[0];
    expect(decodeURIComponent(seen?.path ?? "")).toBe(
      "/model/anthropic.claude-3-haiku-20240307-v1:0/converse",
    );
    expect(String(seen?.headers.authorization)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\//,
    );
    expect(seen?.body).toMatchObject({ inferenceConfig: { maxTokens: 4096 } });
  });

  it("vertex: Gemini with an express-mode key", async () => {
    const server = await serve((_seen, response) =>
      answerJson(response, 200, geminiAnswer([{ text: "patched" }])),
    );
    const model = createModel(
      "vertex:gemini-2.5-flash",
      settings(server.origin, [], {
        apiKey: undefined,
        environment: { GOOGLE_VERTEX_API_KEY: "vertex-key" },
      }),
    );
    expect(await model.complete(afterEmptyAnswer)).toMatchObject({ ok: true, text: "patched" });
    expect(server.seen[0]?.path).toBe("/models/gemini-2.5-flash:generateContent");
    expect(server.seen[0]?.headers["x-goog-api-key"]).toBe("vertex-key");
  });

  it("names the variables to set when a cloud's credentials are missing", () => {
    expect(() => readProviderAccess("bedrock", {})).toThrow(EnvironmentError);
    expect(() => readProviderAccess("bedrock", {})).toThrow(/AWS_REGION/);
    expect(() => readProviderAccess("bedrock", { AWS_REGION: "us-east-1" })).toThrow(
      /AWS_BEARER_TOKEN_BEDROCK/,
    );
    expect(
      readProviderAccess("bedrock", { AWS_REGION: "eu-west-1", AWS_BEARER_TOKEN_BEDROCK: "token-1" }),
    ).toEqual({
      apiKey: "token-1",
      region: "eu-west-1",
    });
    expect(() => readProviderAccess("vertex", {})).toThrow(/GOOGLE_VERTEX_API_KEY.*GOOGLE_VERTEX_PROJECT/);
    expect(readProviderAccess("vertex", { GOOGLE_VERTEX_PROJECT: "p" })).toEqual({
      apiKey: "",
      region: "global",
      project: "p",
    });
  });
});

describe("a spending limit that could never stop the run", () => {
  it("swegate run --max-cost-usd with an unpriced model is refused at start: one line, exit 2, no run", () => {
    const store = join(scratch, "store");
    const result = runCli([
      "run",
      "--model",
      "openai-compatible:my-llama",
      "--base-url",
      "http://127.0.0.1:9/v1",
      "--max-cost-usd",
      "5",
      "--store",
      store,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("openai-compatible:my-llama has no price");
    expect(result.stderr).toContain("--prices");
    expect(readdirSync(scratch).includes("store") ? readdirSync(store) : []).not.toContain("runs");
  });
});
