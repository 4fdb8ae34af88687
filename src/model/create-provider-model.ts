import type PQueue from "p-queue";
import type { Model, ModelRequest, ModelResponse } from "./model.js";
import { postJson } from "./post-json.js";
import { computeCostUsd, type PriceTable } from "./price-table.js";
import { asObject, type ProviderFormat } from "./provider-format.js";
import { withRetries } from "./with-retries.js";

/** Everything one provider-backed model needs; the registry fills in the defaults. */
export interface ProviderModelOptions {
  /** `provider:model-id` as given, also the price-table key. */
  id: string;
  /** The provider's name for the model. */
  modelName: string;
  /** Wire format of the provider. */
  format: ProviderFormat;
  /** Endpoint base (see each format for what it must end with). */
  baseUrl: string;
  /** Key ("" for none). */
  apiKey: string;
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
  /** Longest wait between tries, milliseconds. */
  maxDelayMs?: number;
  /** Injectable wait (tests). */
  sleep?: (milliseconds: number) => Promise<void>;
}

/** A `Model` over one provider's HTTP API: limiter → retries → one POST → pure translation. */
export function createProviderModel(options: ProviderModelOptions): Model {
  const { format } = options;
  async function call(request: ModelRequest): Promise<ModelResponse> {
    const started = Date.now();
    const body = format.body(options.modelName, {
      ...request,
      maxOutputTokens: request.maxOutputTokens ?? options.maxOutputTokens,
    });
    const url = format.url(options.baseUrl, options.modelName);
    const headers = format.headers(options.apiKey);
    const outcome = await withRetries(
      async () => {
        const exchange = await postJson(url, headers, body, {
          timeoutMs: options.timeoutMs,
          signal: request.signal,
        });
        if (!exchange.done) return exchange;
        const answer = format.read(exchange.value.body);
        if (!answer.ok) return { done: false, retryable: answer.retryable, problem: answer.message };
        return { done: true, value: { answer, raw: exchange.value.body } };
      },
      {
        maxRetries: options.maxRetries,
        maxDelayMs: options.maxDelayMs,
        sleep: options.sleep,
        signal: request.signal,
      },
    );
    const durationMs = Date.now() - started;
    if (!outcome.ok && outcome.kind === "auth")
      return { ...outcome, message: readProviderError(outcome.message), durationMs };
    if (!outcome.ok) return { ...outcome, durationMs };
    const { answer, raw } = outcome.value;
    return {
      ok: true,
      text: answer.text,
      ...(answer.toolCalls.length > 0 ? { toolCalls: answer.toolCalls } : {}),
      usage: answer.usage,
      costUsd: computeCostUsd(options.prices, options.id, answer.usage),
      durationMs,
      stopReason: answer.stopReason,
      raw,
    };
  }
  return {
    id: options.id,
    scripted: false,
    // A call keeps its slot while it backs off: a rate-limited provider then sees fewer requests, not more.
    complete: (request) => options.limiter.add(() => call(request)),
  };
}

/**
 * The provider's own words from a problem line `HTTP 401: {body}`: `authentication_error: invalid
 * x-api-key` from the error objects of Anthropic (`type`), Gemini (`status`) and OpenAI (`type`);
 * the line as it came when the body is not such JSON (or was cut at 300 characters).
 */
function readProviderError(problem: string): string {
  try {
    const error = asObject(JSON.parse(problem.replace(/^HTTP \d+: /, "")))?.error;
    const fields = asObject(error);
    const kind = [fields?.type, fields?.status].find((value) => typeof value === "string");
    const message = typeof error === "string" ? error : fields?.message;
    if (typeof message === "string") return kind ? `${kind}: ${message}` : message;
  } catch {
    // Not JSON: the line as it came says more than nothing.
  }
  return problem;
}
