import { afterEach, describe, expect, it } from "vitest";
import { createModel, type ModelSettings } from "./create-model.js";
import type { ModelRequest, Usage } from "./model.js";
import { loadPriceTable } from "./price-table.js";
import { answerJson, type JsonHandler, type SeenRequest, serveJson } from "./test-support/serve-json.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});
async function serve(handler: JsonHandler) {
  const server = await serveJson(handler);
  closers.push(server.close);
  return server;
}

const request: ModelRequest = {
  system: "be brief",
  messages: [
    { role: "user", content: "fix it" },
    { role: "assistant", content: "tried" },
    { role: "user", content: "again" },
  ],
  instanceId: "x",
  maxOutputTokens: 1000,
};

/** Settings against a local server; `waits` records every backoff the model asked for. */
function settingsFor(baseUrl: string, waits: number[], extra: Partial<ModelSettings> = {}): ModelSettings {
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

interface ProviderCase {
  spec: string;
  /** Appended to the server origin to form the base URL. */
  basePath: string;
  path: string;
  checkRequest(seen: SeenRequest): void;
  okBody: unknown;
  usage: Usage;
  costUsd: number | null;
}

const CASES: ProviderCase[] = [
  {
    spec: "anthropic:claude-haiku-4-5",
    basePath: "",
    path: "/v1/messages",
    checkRequest(seen) {
      expect(seen.headers["x-api-key"]).toBe("test-key");
      expect(seen.headers["anthropic-version"]).toBe("2023-06-01");
      expect(seen.body).toMatchObject({
        model: "claude-haiku-4-5",
        max_tokens: 1000,
        system: [{ type: "text", text: "be brief", cache_control: { type: "ephemeral" } }],
      });
      const messages = seen.body.messages as { role: string; content: unknown }[];
      expect(messages.map((message) => message.role)).toEqual(["user", "assistant", "user"]);
      expect(messages[0]?.content).toEqual([{ type: "text", text: "fix it" }]);
      // The last message carries the cache breakpoint so the next attempt reads the prefix from cache.
      expect(messages[2]?.content).toEqual([
        { type: "text", text: "again", cache_control: { type: "ephemeral" } },
      ]);
    },
    okBody: {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude-haiku-4-5-20251001",
      content: [
        { type: "thinking", thinking: "hmm", signature: "sig" },
        { type: "text", text: "patched" },
      ],
      stop_reason: "end_turn",
      usage: {
        input_tokens: 100,
        output_tokens: 20,
        cache_read_input_tokens: 1000,
        cache_creation_input_tokens: 10,
      },
    },
    usage: {
      inputTokens: 100,
      outputTokens: 20,
      cacheReadTokens: 1000,
      cacheWriteTokens: 10,
      reasoningTokens: 0,
    },
    costUsd: (100 * 1 + 20 * 5 + 1000 * 0.1 + 10 * 1.25) / 1e6,
  },
  {
    spec: "google:gemini-2.5-flash",
    basePath: "/v1beta",
    path: "/v1beta/models/gemini-2.5-flash:generateContent",
    checkRequest(seen) {
      expect(seen.headers["x-goog-api-key"]).toBe("test-key");
      expect(seen.body).toMatchObject({
        systemInstruction: { parts: [{ text: "be brief" }] },
        generationConfig: { maxOutputTokens: 1000 },
      });
      expect(seen.body.contents).toEqual([
        { role: "user", parts: [{ text: "fix it" }] },
        { role: "model", parts: [{ text: "tried" }] },
        { role: "user", parts: [{ text: "again" }] },
      ]);
    },
    okBody: {
      candidates: [
        {
          content: { role: "model", parts: [{ text: "thinking aloud", thought: true }, { text: "patched" }] },
          finishReason: "STOP",
        },
      ],
      usageMetadata: {
        promptTokenCount: 900,
        candidatesTokenCount: 40,
        cachedContentTokenCount: 100,
        thoughtsTokenCount: 10,
      },
    },
    usage: {
      inputTokens: 800,
      outputTokens: 50,
      cacheReadTokens: 100,
      cacheWriteTokens: 0,
      reasoningTokens: 10,
    },
    costUsd: (800 * 0.3 + 50 * 2.5 + 100 * 0.03) / 1e6,
  },
  {
    spec: "openai:gpt-5-mini",
    basePath: "/v1",
    path: "/v1/chat/completions",
    checkRequest(seen) {
      expect(seen.headers.authorization).toBe("Bearer test-key");
      expect(seen.body).toMatchObject({ model: "gpt-5-mini", max_completion_tokens: 1000 });
      expect(seen.body.messages).toEqual([
        // OpenAI's reasoning models take the system prompt as a developer message.
        { role: "developer", content: "be brief" },
        { role: "user", content: "fix it" },
        { role: "assistant", content: "tried" },
        { role: "user", content: "again" },
      ]);
    },
    okBody: {
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1764500000,
      model: "gpt-5-mini-2025-08-07",
      choices: [{ index: 0, message: { role: "assistant", content: "patched" }, finish_reason: "stop" }],
      usage: {
        prompt_tokens: 500,
        completion_tokens: 50,
        prompt_tokens_details: { cached_tokens: 200 },
        completion_tokens_details: { reasoning_tokens: 30 },
      },
    },
    usage: {
      inputTokens: 300,
      outputTokens: 50,
      cacheReadTokens: 200,
      cacheWriteTokens: 0,
      reasoningTokens: 30,
    },
    costUsd: (300 * 0.25 + 50 * 2 + 200 * 0.025) / 1e6,
  },
  {
    spec: "openai-compatible:local-llama",
    basePath: "/v1",
    path: "/v1/chat/completions",
    checkRequest(seen) {
      expect(seen.headers.authorization).toBe("Bearer test-key");
      // Compatible servers (vLLM, llama.cpp, Ollama) know max_tokens; OpenAI's own wants the newer name.
      expect(seen.body).toMatchObject({ model: "local-llama", max_tokens: 1000 });
      expect(seen.body).not.toHaveProperty("max_completion_tokens");
    },
    okBody: {
      id: "chatcmpl-2",
      object: "chat.completion",
      created: 1764500000,
      model: "local-llama",
      choices: [{ index: 0, message: { role: "assistant", content: "patched" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 7, completion_tokens: 3 },
    },
    usage: { inputTokens: 7, outputTokens: 3, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
    costUsd: null,
  },
];

describe.each(CASES)("$spec against a local server speaking its wire format", (provider) => {
  const start = async (handler: JsonHandler, extra: Partial<ModelSettings> = {}) => {
    const server = await serve(handler);
    const waits: number[] = [];
    const model = createModel(
      provider.spec,
      settingsFor(`${server.origin}${provider.basePath}`, waits, extra),
    );
    return { ...server, waits, model };
  };

  it("sends the documented request and maps text, usage with cache tokens, and cost", async () => {
    const { seen, model } = await start((_seen, response) => answerJson(response, 200, provider.okBody));
    const answer = await model.complete(request);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.method).toBe("POST");
    expect(seen[0]?.path).toBe(provider.path);
    expect(seen[0]?.headers["content-type"]).toBe("application/json");
    provider.checkRequest(seen[0] as SeenRequest);
    expect(answer).toMatchObject({ ok: true, text: "patched", raw: provider.okBody });
    if (!answer.ok) return;
    // Thinking is counted in the output and, where the provider reports it, on its own.
    expect(answer.usage).toEqual(provider.usage);
    if (provider.costUsd === null) expect(answer.costUsd).toBeNull();
    else expect(answer.costUsd).toBeCloseTo(provider.costUsd, 12);
  });

  it("waits what a 429's retry-after asks, then succeeds", async () => {
    const { seen, waits, model } = await start((_seen, response, index) =>
      index === 0
        ? answerJson(response, 429, { error: "slow down" }, { "retry-after": "7" })
        : answerJson(response, 200, provider.okBody),
    );
    expect(await model.complete(request)).toMatchObject({ ok: true, text: "patched" });
    expect(seen).toHaveLength(2);
    expect(waits).toEqual([7000]);
  });

  it("retries a 500 after a jittered backoff, then succeeds", async () => {
    const { seen, waits, model } = await start((_seen, response, index) =>
      index === 0 ? answerJson(response, 500, { error: "oops" }) : answerJson(response, 200, provider.okBody),
    );
    expect(await model.complete(request)).toMatchObject({ ok: true });
    expect(seen).toHaveLength(2);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(0);
    expect(waits[0]).toBeLessThan(1000);
  });

  it("reports retries exhausted on 503 as infrastructure, after 1 + maxRetries tries", async () => {
    const { seen, waits, model } = await start((_seen, response) =>
      answerJson(response, 503, { error: "down" }),
    );
    const answer = await model.complete(request);
    expect(answer).toMatchObject({ ok: false, kind: "infra", status: 503, retries: 3 });
    expect(seen).toHaveLength(4);
    expect(waits).toHaveLength(3);
  });

  it("reports 401 as a refused key (kind auth, the provider's words) without retrying", async () => {
    const { seen, waits, model } = await start((_seen, response) =>
      answerJson(response, 401, { error: "bad key" }),
    );
    const answer = await model.complete(request);
    expect(answer).toMatchObject({ ok: false, kind: "auth", status: 401, retries: 0 });
    if (!answer.ok) expect(answer.message).toContain("bad key");
    expect(seen).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it("retries a truncated JSON body: a cut-off answer is infrastructure, not the model", async () => {
    const { seen, model } = await start((_seen, response, index) =>
      index === 0
        ? answerJson(response, 200, '{"content": [{"ty')
        : answerJson(response, 200, provider.okBody),
    );
    expect(await model.complete(request)).toMatchObject({ ok: true, text: "patched" });
    expect(seen).toHaveLength(2);
    const broken = await start((_seen, response) => answerJson(response, 200, "{not json"), {
      maxRetries: 1,
    });
    const answer = await broken.model.complete(request);
    expect(answer).toMatchObject({ ok: false, kind: "infra", retries: 1 });
    if (!answer.ok) expect(answer.message).toContain("unreadable JSON body");
  });

  it("cuts a hung connection at the per-request timeout and retries it", async () => {
    const { seen, model } = await start(() => undefined, { maxRetries: 1, timeoutMs: 300 });
    const answer = await model.complete(request);
    expect(answer).toMatchObject({ ok: false, kind: "infra", retries: 1 });
    if (!answer.ok) expect(answer.message).toContain("no answer within 300 ms");
    expect(seen).toHaveLength(2);
  });
});

describe("tool calls in each provider's wire format", () => {
  const tool = {
    name: "view_file",
    description: "show a file",
    parameters: {
      type: "object",
      properties: { path: { type: "string" } },
      required: ["path"],
      additionalProperties: false,
    },
  };
  const usage = { input_tokens: 1, output_tokens: 1 };
  interface ToolCase {
    spec: string;
    basePath: string;
    /** The id the call must carry. */
    callId: string;
    /** A 200 body asking for view_file {path: "a.py"} with id (or signature) as the provider sends it. */
    callBody: unknown;
    /** Checks the first request's tool declarations and the second's call + result encoding. */
    check(first: Record<string, unknown>, second: Record<string, unknown>): void;
    textBody: unknown;
  }
  // OpenAI's call as the model sends it, and as the follow-up request must send it back.
  const openAiToolCall = {
    id: "call_9",
    type: "function",
    function: { name: "view_file", arguments: '{"path":"a.py"}' },
  };
  const TOOL_CASES: ToolCase[] = [
    {
      spec: "anthropic:claude-haiku-4-5",
      basePath: "",
      callId: "toolu_1",
      callBody: {
        id: "msg_2",
        type: "message",
        role: "assistant",
        model: "claude-haiku-4-5-20251001",
        content: [
          { type: "text", text: "let me look" },
          { type: "tool_use", id: "toolu_1", name: "view_file", input: { path: "a.py" } },
        ],
        stop_reason: "tool_use",
        usage,
      },
      check(first, second) {
        expect(first.tools).toEqual([
          { name: "view_file", description: "show a file", input_schema: tool.parameters },
        ]);
        const messages = second.messages as { role: string; content: unknown }[];
        expect(messages[1]).toEqual({
          role: "assistant",
          content: [
            { type: "text", text: "let me look" },
            { type: "tool_use", id: "toolu_1", name: "view_file", input: { path: "a.py" } },
          ],
        });
        expect(messages[2]).toEqual({
          role: "user",
          content: [
            {
              type: "tool_result",
              tool_use_id: "toolu_1",
              content: "1\tx = 1",
              cache_control: { type: "ephemeral" },
            },
          ],
        });
      },
      textBody: {
        id: "msg_3",
        type: "message",
        role: "assistant",
        model: "claude-haiku-4-5-20251001",
        content: [{ type: "text", text: "done" }],
        stop_reason: "end_turn",
        usage,
      },
    },
    {
      spec: "openai:gpt-5-mini",
      callId: "call_9",
      basePath: "/v1",
      callBody: {
        id: "chatcmpl-3",
        object: "chat.completion",
        created: 1764500000,
        model: "gpt-5-mini-2025-08-07",
        choices: [
          {
            index: 0,
            message: {
              role: "assistant",
              content: null,
              tool_calls: [openAiToolCall],
            },
            finish_reason: "tool_calls",
          },
        ],
        usage: { prompt_tokens: 1, completion_tokens: 1 },
      },
      check(first, second) {
        expect(first.tools).toEqual([
          {
            type: "function",
            function: { name: "view_file", description: "show a file", parameters: tool.parameters },
          },
        ]);
        const messages = second.messages as Record<string, unknown>[];
        expect(messages.slice(2)).toEqual([
          {
            role: "assistant",
            content: null,
            tool_calls: [
              openAiToolCall, // echoed as it came
            ],
          },
          { role: "tool", tool_call_id: "call_9", content: "1\tx = 1" },
        ]);
      },
      textBody: {
        id: "chatcmpl-4",
        object: "chat.completion",
        created: 1764500000,
        model: "gpt-5-mini-2025-08-07",
        choices: [{ index: 0, message: { role: "assistant", content: "done" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 1, completion_tokens: 1 },
      },
    },
    {
      spec: "google:gemini-2.5-flash",
      basePath: "/v1beta",
      callId: "fc-1",
      callBody: {
        candidates: [
          {
            content: {
              role: "model",
              parts: [
                {
                  functionCall: { id: "fc-1", name: "view_file", args: { path: "a.py" } },
                  thoughtSignature: "sig-1",
                },
              ],
            },
            finishReason: "STOP",
          },
        ],
        usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1 },
      },
      check(first, second) {
        // Gemini's schema subset has no additionalProperties.
        expect(first.tools).toEqual([
          {
            functionDeclarations: [
              {
                name: "view_file",
                description: "show a file",
                parameters: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
              },
            ],
          },
        ]);
        const contents = second.contents as Record<string, unknown>[];
        // The call goes back with the id and thought signature it came with, and its result names that id.
        expect(contents.slice(1)).toEqual([
          {
            role: "model",
            parts: [
              {
                functionCall: { id: "fc-1", name: "view_file", args: { path: "a.py" } },
                thoughtSignature: "sig-1",
              },
            ],
          },
          {
            role: "user",
            parts: [
              {
                functionResponse: {
                  id: "fc-1",
                  name: "view_file",
                  response: { name: "view_file", content: "1\tx = 1" },
                },
              },
            ],
          },
        ]);
      },
      textBody: {
        candidates: [{ content: { role: "model", parts: [{ text: "done" }] }, finishReason: "STOP" }],
        usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1 },
      },
    },
  ];

  for (const provider of TOOL_CASES) {
    it(`${provider.spec}: declares the tools, reads a call, and sends the call and its result back`, async () => {
      const server = await serve((_seen, response, index) =>
        answerJson(response, 200, index === 0 ? provider.callBody : provider.textBody),
      );
      const model = createModel(provider.spec, settingsFor(`${server.origin}${provider.basePath}`, []));
      const ask: ModelRequest = {
        system: "s",
        messages: [{ role: "user", content: "fix it" }],
        tools: [tool],
        instanceId: "x",
      };
      const first = await model.complete(ask);
      if (!first.ok) throw new Error(first.message);
      expect(first.toolCalls).toEqual([
        expect.objectContaining({ id: provider.callId, name: "view_file", arguments: { path: "a.py" } }),
      ]);
      const second = await model.complete({
        ...ask,
        messages: [
          ...ask.messages,
          { role: "assistant", content: first.text, toolCalls: first.toolCalls },
          {
            role: "user",
            content: "",
            toolResults: (first.toolCalls ?? []).map((call) => ({
              callId: call.id,
              name: call.name,
              content: "1\tx = 1",
            })),
          },
        ],
      });
      expect(second).toMatchObject({ ok: true, text: "done" });
      expect(second.ok && second.toolCalls).toBeFalsy();
      provider.check(server.seen[0]?.body ?? {}, server.seen[1]?.body ?? {});
    });
  }

  it("keeps arguments that are not JSON as the raw string, for the tool to refuse", async () => {
    const body = {
      id: "chatcmpl-5",
      object: "chat.completion",
      created: 1764500000,
      model: "gpt-5-mini-2025-08-07",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "",
            tool_calls: [{ id: "c", type: "function", function: { name: "view_file", arguments: "{oops" } }],
          },
          finish_reason: "tool_calls",
        },
      ],
    };
    const server = await serve((_seen, response) => answerJson(response, 200, body));
    const model = createModel("openai:gpt-5-mini", settingsFor(`${server.origin}/v1`, []));
    const answer = await model.complete({ system: "s", messages: [{ role: "user", content: "x" }] });
    expect(answer.ok && answer.toolCalls).toEqual([{ id: "c", name: "view_file", arguments: "{oops" }]);
  });
});

describe("concurrency per provider", () => {
  it("keeps calls in flight within the limit, shared by two models of one provider", async () => {
    const calls = 8;
    let inFlight = 0;
    let most = 0;
    let arrived = 0;
    const held: (() => void)[] = [];
    const { origin } = await serve((_seen, response) => {
      inFlight++;
      arrived++;
      most = Math.max(most, inFlight);
      held.push(() => {
        inFlight--;
        answerJson(response, 200, {
          id: "chatcmpl-6",
          object: "chat.completion",
          created: 1764500000,
          model: "a",
          choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
          usage: {},
        });
      });
      // Answers wait until the limit is reached (or every call has come), so two calls are in flight
      // however slowly they arrive; the pause before answering gives a leaking limit time to show.
      if (held.length === 2 || arrived === calls)
        setTimeout(() => {
          for (const answer of held.splice(0)) answer();
        }, 30);
    });
    const waits: number[] = [];
    const first = createModel("openai-compatible:a", settingsFor(`${origin}/v1`, waits, { concurrency: 2 }));
    const second = createModel("openai-compatible:b", settingsFor(`${origin}/v1`, waits));
    const answers = await Promise.all(
      Array.from({ length: calls }, (_, index) => (index % 2 ? first : second).complete(request)),
    );
    expect(answers.every((answer) => answer.ok)).toBe(true);
    // Unshared or unlimited queues would let up to 8 through at once; a stricter one leaves a lone
    // call held until it times out and is retried.
    expect(most).toBe(2);
    expect(waits).toEqual([]);
  });
});

describe("live providers (each runs only when its API key is set)", () => {
  const live: ModelRequest = {
    system: "Answer with one word.",
    messages: [{ role: "user", content: "Say ok." }],
    maxOutputTokens: 200,
  };
  it.skipIf(!process.env.ANTHROPIC_API_KEY)(
    "anthropic:claude-haiku-4-5 answers (needs ANTHROPIC_API_KEY)",
    async () => {
      const answer = await createModel("anthropic:claude-haiku-4-5", { maxRetries: 2 }).complete(live);
      expect(answer).toMatchObject({ ok: true });
      if (answer.ok) expect(answer.costUsd).toBeGreaterThan(0);
    },
  );
  it.skipIf(!process.env.GEMINI_API_KEY && !process.env.GOOGLE_API_KEY)(
    "google:gemini-2.5-flash answers (needs GOOGLE_API_KEY or GEMINI_API_KEY)",
    async () => {
      const answer = await createModel("google:gemini-2.5-flash", {
        maxRetries: 2,
        maxOutputTokens: 1000,
      }).complete(live);
      expect(answer).toMatchObject({ ok: true });
    },
  );
  it.skipIf(
    !process.env.AWS_REGION || (!process.env.AWS_BEARER_TOKEN_BEDROCK && !process.env.AWS_ACCESS_KEY_ID),
  )(
    "bedrock:us.anthropic.claude-haiku-4-5-20251001-v1:0 answers (needs AWS_REGION and AWS_BEARER_TOKEN_BEDROCK or an AWS key pair)",
    async () => {
      const answer = await createModel("bedrock:us.anthropic.claude-haiku-4-5-20251001-v1:0", {
        maxRetries: 2,
      }).complete(live);
      expect(answer).toMatchObject({ ok: true });
    },
  );
  it.skipIf(!process.env.GOOGLE_VERTEX_API_KEY && !process.env.GOOGLE_VERTEX_PROJECT)(
    "vertex:gemini-2.5-flash answers (needs GOOGLE_VERTEX_API_KEY, or GOOGLE_VERTEX_PROJECT with application default credentials)",
    async () => {
      const answer = await createModel("vertex:gemini-2.5-flash", {
        maxRetries: 2,
        maxOutputTokens: 1000,
      }).complete(live);
      expect(answer).toMatchObject({ ok: true });
    },
  );
  it.skipIf(!process.env.OPENAI_API_KEY)("openai:gpt-5-mini answers (needs OPENAI_API_KEY)", async () => {
    const answer = await createModel("openai:gpt-5-mini", { maxRetries: 2, maxOutputTokens: 2000 }).complete(
      live,
    );
    expect(answer).toMatchObject({ ok: true });
  });
});
