import { afterEach, describe, expect, it } from "vitest";
import { createModel } from "./create-model.js";
import type { ModelRequest } from "./model.js";
import { readRetryAfterMs } from "./read-retry-after.js";
import { answerJson, type JsonHandler, serveJson } from "./test-support/serve-json.js";
import { computeBackoffMs, type TryOutcome, withRetries } from "./with-retries.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});
async function anthropicAgainst(handler: JsonHandler, waits: number[], extra: Record<string, unknown> = {}) {
  const server = await serveJson(handler);
  closers.push(server.close);
  const model = createModel("anthropic:claude-haiku-4-5", {
    baseUrl: server.origin,
    apiKey: "k",
    maxRetries: 3,
    timeoutMs: 5000,
    sleep: async (milliseconds) => {
      waits.push(milliseconds);
    },
    ...extra,
  });
  return { ...server, model };
}
const request: ModelRequest = { system: "s", messages: [{ role: "user", content: "u" }] };
/** Anthropic's Message object as documented. */
const OK = {
  id: "msg_1",
  type: "message",
  role: "assistant",
  model: "claude-haiku-4-5-20251001",
  content: [{ type: "text", text: "ok" }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 1, output_tokens: 1 },
};

describe("readRetryAfterMs", () => {
  it("reads retry-after-ms first, then retry-after as seconds or an HTTP date", () => {
    expect(readRetryAfterMs(new Headers({ "retry-after-ms": "250", "retry-after": "9" }))).toBe(250);
    expect(readRetryAfterMs(new Headers({ "retry-after": "1.5" }))).toBe(1500);
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(readRetryAfterMs(new Headers({ "retry-after": "Wed, 01 Jan 2025 00:00:30 GMT" }), now)).toBe(
      30_000,
    );
    expect(readRetryAfterMs(new Headers({ "retry-after": "Tue, 31 Dec 2024 23:00:00 GMT" }), now)).toBe(0);
    expect(readRetryAfterMs(new Headers({ "retry-after": "soon" }))).toBeUndefined();
    expect(readRetryAfterMs(new Headers())).toBeUndefined();
  });
});

describe("computeBackoffMs", () => {
  it("is full jitter under a ceiling that doubles per retry and stops at the maximum", () => {
    expect(computeBackoffMs(0, { random: () => 0.5 })).toBe(500);
    expect(computeBackoffMs(3, { random: () => 0.5 })).toBe(4000);
    expect(computeBackoffMs(20, { random: () => 0.999, maxDelayMs: 60_000 })).toBeCloseTo(59_940, 6);
    expect(computeBackoffMs(2, { random: () => 0 })).toBe(0);
  });
});

describe("withRetries", () => {
  const failing = (retryAfterMs?: number): TryOutcome<string> => ({
    done: false,
    retryable: true,
    problem: "HTTP 429",
    status: 429,
    retryAfterMs,
  });

  it("caps a retry-after that asks for more than the longest wait", async () => {
    const waits: number[] = [];
    let tries = 0;
    const outcome = await withRetries(
      async () => (++tries < 3 ? failing(3_600_000) : { done: true as const, value: "ok" }),
      { maxRetries: 5, maxDelayMs: 20_000, sleep: async (milliseconds) => void waits.push(milliseconds) },
    );
    expect(outcome).toEqual({ ok: true, value: "ok", retries: 2 });
    expect(waits).toEqual([20_000, 20_000]);
  });

  it("stops at once when the run is cancelled, without another try", async () => {
    const controller = new AbortController();
    let tries = 0;
    const outcome = await withRetries(
      async () => {
        tries++;
        controller.abort();
        return failing();
      },
      { maxRetries: 5, signal: controller.signal, sleep: async () => undefined },
    );
    expect(outcome).toMatchObject({ ok: false, kind: "infra", message: "cancelled" });
    expect(tries).toBe(1);
  });

  it("with maxRetries 0 tries once and reports infra", async () => {
    const outcome = await withRetries(async () => failing(), { maxRetries: 0, sleep: async () => undefined });
    expect(outcome).toMatchObject({ ok: false, kind: "infra", retries: 0, status: 429 });
  });
});

describe("retry classification over HTTP", () => {
  it("retries 408 and 409 and honours retry-after-ms", async () => {
    const waits: number[] = [];
    const { seen, model } = await anthropicAgainst((_seen, response, index) => {
      if (index === 0) return answerJson(response, 408, { error: "timeout" }, { "retry-after-ms": "120" });
      if (index === 1) return answerJson(response, 409, { error: "conflict" }, { "retry-after": "2" });
      answerJson(response, 200, OK);
    }, waits);
    expect(await model.complete(request)).toMatchObject({ ok: true, text: "ok" });
    expect(seen).toHaveLength(3);
    expect(waits).toEqual([120, 2000]);
  });

  it("refuses 400, 403 and 404 at once; 403 (like 401) is a refused key", async () => {
    for (const status of [400, 403, 404]) {
      const waits: number[] = [];
      const { seen, model } = await anthropicAgainst(
        (_seen, response) => answerJson(response, status, { error: "no" }),
        waits,
      );
      const kind = status === 403 ? "auth" : "refused";
      expect(await model.complete(request)).toMatchObject({ ok: false, kind, status });
      expect(seen).toHaveLength(1);
    }
  });

  it("obeys the server's x-should-retry: false on a 500 and true on a 400", async () => {
    const waits: number[] = [];
    const refused = await anthropicAgainst(
      (_seen, response) => answerJson(response, 500, { error: "x" }, { "x-should-retry": "false" }),
      waits,
    );
    expect(await refused.model.complete(request)).toMatchObject({ ok: false, kind: "refused", status: 500 });
    expect(refused.seen).toHaveLength(1);
    const retried = await anthropicAgainst(
      (_seen, response, index) =>
        index === 0
          ? answerJson(response, 400, { error: "x" }, { "x-should-retry": "true" })
          : answerJson(response, 200, OK),
      waits,
    );
    expect(await retried.model.complete(request)).toMatchObject({ ok: true });
    expect(retried.seen).toHaveLength(2);
  });

  it("refuses a 200 web page (wrong base URL) instead of retrying it", async () => {
    const waits: number[] = [];
    const { seen, model } = await anthropicAgainst((_seen, response) => {
      response.writeHead(200, { "content-type": "text/html" });
      response.end("<html>login</html>");
    }, waits);
    const answer = await model.complete(request);
    expect(answer).toMatchObject({ ok: false, kind: "refused" });
    if (!answer.ok) expect(answer.message).toContain("check the base URL");
    expect(seen).toHaveLength(1);
  });

  it("retries valid JSON in the wrong shape (a proxy's error body), then reports infra", async () => {
    const waits: number[] = [];
    const { seen, model } = await anthropicAgainst(
      (_seen, response) => answerJson(response, 200, { error: { message: "upstream" } }),
      waits,
      {
        maxRetries: 1,
      },
    );
    const answer = await model.complete(request);
    expect(answer).toMatchObject({ ok: false, kind: "infra", retries: 1 });
    if (!answer.ok) expect(answer.message).toContain("not in its documented shape");
    expect(seen).toHaveLength(2);
  });

  it("refuses a Gemini prompt the provider blocked, without retrying", async () => {
    const server = await serveJson((_seen, response) =>
      answerJson(response, 200, { promptFeedback: { blockReason: "SAFETY" } }),
    );
    closers.push(server.close);
    const model = createModel("google:gemini-2.5-flash", {
      baseUrl: server.origin,
      apiKey: "k",
      sleep: async () => undefined,
    });
    expect(await model.complete(request)).toMatchObject({
      ok: false,
      kind: "refused",
      message: "Gemini blocked the prompt: SAFETY",
    });
    expect(server.seen).toHaveLength(1);
  });

  it("reads a Gemini candidate cut off with no parts as an empty answer, not a fault", async () => {
    const server = await serveJson((_seen, response) =>
      answerJson(response, 200, {
        candidates: [{ finishReason: "MAX_TOKENS" }],
        usageMetadata: { promptTokenCount: 5, thoughtsTokenCount: 9 },
      }),
    );
    closers.push(server.close);
    const model = createModel("google:gemini-2.5-flash", { baseUrl: server.origin, apiKey: "k" });
    expect(await model.complete(request)).toMatchObject({
      ok: true,
      text: "",
      stopReason: "MAX_TOKENS",
      usage: { inputTokens: 5, outputTokens: 9 },
    });
  });

  it("keeps an OpenAI refusal's words as the answer", async () => {
    const server = await serveJson((_seen, response) =>
      answerJson(response, 200, {
        id: "chatcmpl-1",
        object: "chat.completion",
        created: 1764500000,
        model: "gpt-5-mini-2025-08-07",
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: null, refusal: "I can't help" },
            finish_reason: "stop",
          },
        ],
      }),
    );
    closers.push(server.close);
    const model = createModel("openai:gpt-5-mini", { baseUrl: server.origin, apiKey: "k" });
    expect(await model.complete(request)).toMatchObject({
      ok: true,
      text: "I can't help",
      stopReason: "refusal",
    });
  });
});
