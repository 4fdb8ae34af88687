import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createModel, type ModelSettings } from "./create-model.js";
import type { ModelRequest } from "./model.js";
import { loadPriceTable } from "./price-table.js";

type Handler = (request: IncomingMessage, body: Record<string, unknown>, response: ServerResponse) => void;
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A real HTTP server on 127.0.0.1 speaking whatever the handler answers; records requests. */
async function serve(handler: Handler) {
  const seen: { path: string; headers: IncomingMessage["headers"]; body: Record<string, unknown> }[] = [];
  const server = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk) => (text += chunk));
    request.on("end", () => {
      const body = text ? JSON.parse(text) : {};
      seen.push({ path: request.url ?? "", headers: request.headers, body });
      handler(request, body, response);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, seen };
}

const json = (
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(typeof body === "string" ? body : JSON.stringify(body));
};

const request: ModelRequest = {
  system: "be brief",
  messages: [{ role: "user", content: "fix it" }],
  instanceId: "x",
};
const waits: number[] = [];
const settings = (baseUrl: string, extra: Partial<ModelSettings> = {}): ModelSettings => ({
  baseUrl,
  apiKey: "test-key",
  prices: loadPriceTable(),
  maxRetries: 3,
  timeoutMs: 2000,
  sleep: async (milliseconds) => {
    waits.push(milliseconds);
  },
  ...extra,
});

const ANTHROPIC_OK = {
  content: [{ type: "text", text: "patched" }],
  stop_reason: "end_turn",
  usage: {
    input_tokens: 100,
    output_tokens: 20,
    cache_read_input_tokens: 1000,
    cache_creation_input_tokens: 10,
  },
};

describe("anthropic provider against a local server", () => {
  it("sends the documented request and maps text, usage with cache tokens, and cost", async () => {
    const { origin, seen } = await serve((_request, _body, response) => json(response, 200, ANTHROPIC_OK));
    const model = createModel("anthropic:claude-haiku-4-5", settings(origin));
    const answer = await model.complete(request);
    expect(seen[0]?.path).toBe("/v1/messages");
    expect(seen[0]?.headers["x-api-key"]).toBe("test-key");
    expect(seen[0]?.headers["anthropic-version"]).toBe("2023-06-01");
    expect(seen[0]?.body).toMatchObject({
      model: "claude-haiku-4-5",
      system: "be brief",
      messages: [{ role: "user", content: "fix it" }],
    });
    expect(answer).toMatchObject({
      ok: true,
      text: "patched",
      usage: { inputTokens: 100, outputTokens: 20, cacheReadTokens: 1000, cacheWriteTokens: 10 },
    });
    // 100×1 + 20×5 + 1000×0.1 + 10×1.25 per million.
    if (answer.ok) expect(answer.costUsd).toBeCloseTo(312.5 / 1e6, 12);
  });

  it("honours retry-after on 429, retries a 500, then succeeds", async () => {
    let calls = 0;
    const { origin } = await serve((_request, _body, response) => {
      calls++;
      if (calls === 1) return json(response, 429, { error: "slow down" }, { "retry-after": "7" });
      if (calls === 2) return json(response, 500, { error: "oops" });
      json(response, 200, ANTHROPIC_OK);
    });
    waits.length = 0;
    const answer = await createModel("anthropic:claude-haiku-4-5", settings(origin)).complete(request);
    expect(answer.ok).toBe(true);
    expect(calls).toBe(3);
    expect(waits[0]).toBe(7000);
  });

  it("reports exhausted retries as infrastructure and 401 as refused without retrying", async () => {
    const failing = await serve((_request, _body, response) => json(response, 503, { error: "down" }));
    const exhausted = await createModel("anthropic:claude-haiku-4-5", settings(failing.origin)).complete(
      request,
    );
    expect(exhausted).toMatchObject({ ok: false, kind: "infra", retries: 3 });
    expect(failing.seen).toHaveLength(4);
    const denied = await serve((_request, _body, response) => json(response, 401, { error: "bad key" }));
    const refused = await createModel("anthropic:claude-haiku-4-5", settings(denied.origin)).complete(
      request,
    );
    expect(refused).toMatchObject({ ok: false, kind: "refused", status: 401 });
    expect(denied.seen).toHaveLength(1);
  });

  it("retries a malformed body and cuts a hung connection at the timeout", async () => {
    const malformed = await serve((_request, _body, response) => json(response, 200, "{not json"));
    expect(
      await createModel("anthropic:claude-haiku-4-5", settings(malformed.origin, { maxRetries: 1 })).complete(
        request,
      ),
    ).toMatchObject({
      ok: false,
      kind: "infra",
    });
    expect(malformed.seen).toHaveLength(2);
    const hung = await serve(() => undefined);
    const answer = await createModel(
      "anthropic:claude-haiku-4-5",
      settings(hung.origin, { maxRetries: 1, timeoutMs: 300 }),
    ).complete(request);
    expect(answer).toMatchObject({ ok: false, kind: "infra" });
    if (!answer.ok) expect(answer.message).toContain("no answer within 300 ms");
  });
});

describe("openai and gemini providers against a local server", () => {
  it("openai chat completions: bearer key, system message, cached tokens split out", async () => {
    const { origin, seen } = await serve((_request, _body, response) =>
      json(response, 200, {
        choices: [{ message: { role: "assistant", content: "done" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 500, completion_tokens: 50, prompt_tokens_details: { cached_tokens: 200 } },
      }),
    );
    const answer = await createModel("openai:gpt-5-mini", settings(`${origin}/v1`)).complete(request);
    expect(seen[0]?.path).toBe("/v1/chat/completions");
    expect(seen[0]?.headers.authorization).toBe("Bearer test-key");
    expect((seen[0]?.body.messages as unknown[] | undefined)?.[0]).toEqual({
      role: "system",
      content: "be brief",
    });
    expect(answer).toMatchObject({
      ok: true,
      text: "done",
      usage: { inputTokens: 300, cacheReadTokens: 200, outputTokens: 50 },
    });
  });

  it("openai-compatible: unknown model price gives cost null, not a crash", async () => {
    const { origin } = await serve((_request, _body, response) =>
      json(response, 200, {
        choices: [{ message: { content: "ok" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 1, completion_tokens: 1 },
      }),
    );
    const answer = await createModel("openai-compatible:local-llama", settings(origin)).complete(request);
    expect(answer).toMatchObject({ ok: true, costUsd: null });
  });

  it("gemini generateContent: key header, systemInstruction, model role, usage metadata", async () => {
    const { origin, seen } = await serve((_request, _body, response) =>
      json(response, 200, {
        candidates: [{ content: { role: "model", parts: [{ text: "fixed" }] }, finishReason: "STOP" }],
        usageMetadata: {
          promptTokenCount: 900,
          candidatesTokenCount: 40,
          cachedContentTokenCount: 100,
          thoughtsTokenCount: 10,
        },
      }),
    );
    const conversation: ModelRequest = {
      ...request,
      messages: [...request.messages, { role: "assistant", content: "a" }, { role: "user", content: "b" }],
    };
    const answer = await createModel("google:gemini-2.5-flash", settings(`${origin}/v1beta`)).complete(
      conversation,
    );
    expect(seen[0]?.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    expect(seen[0]?.headers["x-goog-api-key"]).toBe("test-key");
    expect(seen[0]?.body).toMatchObject({ systemInstruction: { parts: [{ text: "be brief" }] } });
    expect(((seen[0]?.body.contents ?? []) as { role: string }[]).map((content) => content.role)).toEqual([
      "user",
      "model",
      "user",
    ]);
    expect(answer).toMatchObject({
      ok: true,
      text: "fixed",
      usage: { inputTokens: 800, cacheReadTokens: 100, outputTokens: 50 },
    });
  });

  it("keeps calls per provider within the concurrency limit", async () => {
    let inFlight = 0;
    let most = 0;
    const { origin } = await serve((_request, _body, response) => {
      inFlight++;
      most = Math.max(most, inFlight);
      setTimeout(() => {
        inFlight--;
        json(response, 200, { choices: [{ message: { content: "ok" } }], usage: {} });
      }, 50);
    });
    const model = createModel("openai-compatible:limited", settings(origin, { concurrency: 2 }));
    await Promise.all(Array.from({ length: 6 }, () => model.complete(request)));
    expect(most).toBeLessThanOrEqual(2);
  });
});

describe("live providers (need API keys)", () => {
  it.skipIf(!process.env.ANTHROPIC_API_KEY)("anthropic answers (needs ANTHROPIC_API_KEY)", async () => {
    const answer = await createModel("anthropic:claude-haiku-4-5", { prices: loadPriceTable() }).complete(
      request,
    );
    expect(answer.ok).toBe(true);
  });
  it.skipIf(!process.env.GEMINI_API_KEY && !process.env.GOOGLE_API_KEY)(
    "gemini answers (needs GEMINI_API_KEY)",
    async () => {
      const answer = await createModel("google:gemini-2.5-flash", { prices: loadPriceTable() }).complete(
        request,
      );
      expect(answer.ok).toBe(true);
    },
  );
});
