import type { LanguageModel, ToolSet } from "ai";
import type PQueue from "p-queue";
import type { Model, ModelRequest, ModelResponse, ToolCall, Usage } from "./model.js";
import { computeCostUsd, type PriceTable } from "./price-table.js";
import type { ProviderEntry, ProviderSettings } from "./provider-registry.js";
import {
  readBlockedPrompt,
  readOpenAiRefusal,
  readProviderFailure,
  readProviderWords,
} from "./read-provider-failure.js";
import { fromSdkToolCall, fromSdkUsage, toSdkMessages } from "./to-sdk-messages.js";
import { type TryOutcome, withRetries } from "./with-retries.js";

// The AI SDK prints warnings (an unknown model's token limit, a setting a provider ignores) to the
// console, which would break swegate's progress display; what matters is in the transcript.
globalThis.AI_SDK_LOG_WARNINGS = false;

/** Everything one provider-backed model needs; the registry and createModel fill in the defaults. */
export interface ProviderModelOptions {
  /** `provider:model-id` as given, also the price-table key. */
  id: string;
  /** The provider (its factory and cache rule). */
  provider: ProviderEntry;
  /** Name, endpoint and credentials for the provider's factory (`fetch` defaults to the global one). */
  settings: Omit<ProviderSettings, "fetch"> & { fetch?: typeof fetch };
  /** The provider's process-wide limiter. */
  limiter: PQueue;
  /** Prices for cost. */
  prices: PriceTable;
  /** Retries after the first try. */
  maxRetries: number;
  /** Per-request timeout, milliseconds. */
  timeoutMs: number;
  /** Output token limit when the request sets none. */
  maxOutputTokens?: number;
  /** The model's own output limit: no request asks for more (claude-3-haiku stops at 4096). */
  outputLimit?: number;
  /** Longest wait between tries, milliseconds. */
  maxDelayMs?: number;
  /** Injectable wait (tests). */
  sleep?: (milliseconds: number) => Promise<void>;
}

/** One answer as the SDK gave it, before cost. */
interface Answer {
  text: string;
  toolCalls: ToolCall[];
  usage: Usage;
  stopReason: string;
  raw: unknown;
}

/**
 * A `Model` over one provider through the AI SDK: limiter → swegate's retries → one SDK call with
 * the SDK's own retries off. The retry loop stays swegate's so its rules (which statuses, whose
 * wait, what is a refused key, what is infrastructure) are the same for every provider and every
 * try shows in the outcome; the SDK does the wire format.
 */
export function createProviderModel(options: ProviderModelOptions): Model {
  const { provider, settings } = options;
  // Made on the first call: the SDK packages are loaded only by runs that talk to a provider.
  let language: Promise<LanguageModel> | undefined;
  const languageModel = () =>
    (language ??= provider.create({ ...settings, fetch: settings.fetch ?? globalThis.fetch }));
  const cachePoint = provider.cachePoint?.(settings.modelName);

  async function tryOnce(request: ModelRequest): Promise<TryOutcome<Answer>> {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = AbortSignal.any([timeout, ...(request.signal ? [request.signal] : [])]);
    const wanted = request.maxOutputTokens ?? options.maxOutputTokens;
    const maxOutputTokens =
      options.outputLimit === undefined
        ? wanted
        : Math.min(wanted ?? options.outputLimit, options.outputLimit);
    const sdk = await loadSdk();
    try {
      const result = await sdk.generateText({
        model: await languageModel(),
        system: cachePoint
          ? { role: "system", content: request.system, providerOptions: cachePoint }
          : request.system,
        messages: toSdkMessages(request.messages, cachePoint),
        ...(request.tools?.length
          ? {
              tools: toolSet(sdk, request.tools),
              ...(request.toolChoice ? { toolChoice: request.toolChoice } : {}),
            }
          : {}),
        ...(maxOutputTokens === undefined ? {} : { maxOutputTokens }),
        ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
        maxRetries: 0,
        abortSignal: signal,
      });
      const blocked = readBlockedPrompt(result.response.body);
      if (blocked) return { done: false, retryable: false, problem: blocked };
      const calls = result.content.filter((part) => part.type === "tool-call");
      // A refusal arrives in its own field with no text; its words are the answer, and it says so.
      const refusal = readOpenAiRefusal(result.response.body);
      return {
        done: true,
        value: {
          text: result.text || (refusal ?? ""),
          toolCalls: calls.map(fromSdkToolCall),
          usage: fromSdkUsage(result.usage),
          stopReason: refusal === undefined ? (result.rawFinishReason ?? result.finishReason) : "refusal",
          raw: result.response.body,
        },
      };
    } catch (error) {
      if (request.signal?.aborted) return { done: false, retryable: false, problem: "cancelled" };
      if (timeout.aborted)
        return { done: false, retryable: true, problem: `network: no answer within ${options.timeoutMs} ms` };
      return readCallError(sdk, error);
    }
  }

  async function call(request: ModelRequest): Promise<ModelResponse> {
    const started = Date.now();
    const outcome = await withRetries(() => tryOnce(request), {
      maxRetries: options.maxRetries,
      maxDelayMs: options.maxDelayMs,
      sleep: options.sleep,
      signal: request.signal,
    });
    const durationMs = Date.now() - started;
    if (!outcome.ok && outcome.kind === "auth")
      return { ...outcome, message: readProviderWords(outcome.message), durationMs };
    if (!outcome.ok) return { ...outcome, durationMs };
    const { value } = outcome;
    return {
      ok: true,
      text: value.text,
      ...(value.toolCalls.length > 0 ? { toolCalls: value.toolCalls } : {}),
      usage: value.usage,
      costUsd: computeCostUsd(options.prices, options.id, value.usage),
      durationMs,
      stopReason: value.stopReason,
      raw: value.raw,
    };
  }
  return {
    id: options.id,
    scripted: false,
    // A call keeps its slot while it backs off: a rate-limited provider then sees fewer requests, not more.
    complete: (request) => options.limiter.add(() => call(request)),
  };
}

type Sdk = typeof import("ai");
let sdkModule: Promise<Sdk> | undefined;
/** The `ai` package, loaded once, on the first provider call. */
const loadSdk = () => (sdkModule ??= import("ai"));

/** swegate's tool specs as AI SDK tools without `execute`: the SDK hands the calls back to swegate. */
function toolSet(sdk: Sdk, tools: NonNullable<ModelRequest["tools"]>): ToolSet {
  return Object.fromEntries(
    tools.map((spec) => [
      spec.name,
      sdk.tool({ description: spec.description, inputSchema: sdk.jsonSchema(spec.parameters as never) }),
    ]),
  );
}

/** A failed SDK call as one try's outcome: the provider's HTTP answer classified, else network or shape. */
function readCallError(sdk: Sdk, error: unknown): TryOutcome<never> {
  if (sdk.APICallError.isInstance(error)) {
    const status = error.statusCode;
    const body = error.responseBody ?? "";
    if (status === undefined) {
      const cause = error.cause as Error | undefined;
      const reason = (cause?.cause as Error | undefined)?.message ?? cause?.message ?? error.message;
      return { done: false, retryable: true, problem: `network: ${reason}` };
    }
    if (status < 300) {
      const type = error.responseHeaders?.["content-type"] ?? "";
      if (type.includes("text/html"))
        // A web page, not an API: the base URL is wrong, and asking again will not change that.
        return {
          done: false,
          retryable: false,
          problem: `the endpoint answered with a web page, not JSON (check the base URL): ${error.url}`,
          status,
        };
      // JSON that is not the documented shape, or no JSON at all: maybe cut off, worth another try.
      return {
        done: false,
        retryable: true,
        problem: isJson(body)
          ? `the answer is not in its documented shape: ${body.slice(0, 200)}`
          : `unreadable JSON body (${body.length} bytes): ${body.slice(0, 80)}`,
        status,
      };
    }
    return readProviderFailure(status, new Headers(error.responseHeaders ?? {}), body);
  }
  // A 200 body that is JSON but not the documented shape: maybe cut off or a proxy's error.
  const message = error instanceof Error ? error.message : String(error);
  return {
    done: false,
    retryable: true,
    problem: `the answer is not in its documented shape: ${message.slice(0, 300)}`,
  };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
