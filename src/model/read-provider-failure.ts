import { readRetryAfterMs } from "./read-retry-after.js";
import type { TryOutcome } from "./with-retries.js";

type Failure = Extract<TryOutcome<never>, { done: false }>;
type Json = Record<string, unknown>;

const asObject = (value: unknown): Json | undefined =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as Json) : undefined;

/** Request timeout, conflict, rate limit: worth another try, like every 5xx. */
const RETRYABLE_STATUSES = new Set([408, 409, 429]);

/**
 * One failed HTTP answer of any provider, classified for `withRetries`: 408/409/429/5xx are
 * retryable, other 4xx are not; the server's `x-should-retry` header (Anthropic, OpenAI) overrides
 * the status rule. The wait comes from `retry-after-ms`, `retry-after`, else Gemini's
 * `RetryInfo.retryDelay` in the body. A Gemini quota counted per day is not retried (it resets
 * tomorrow), and Gemini's 400 for a bad key (`API_KEY_INVALID`) is a refused key like a 401.
 */
export function readProviderFailure(
  status: number,
  headers: Headers,
  body: string,
  nowMs: number = Date.now(),
): Failure {
  const shouldRetry = headers.get("x-should-retry");
  const details = readErrorDetails(body);
  const problem = `HTTP ${status}: ${body.slice(0, 300)}`;
  if (details.some((detail) => detail.reason === "API_KEY_INVALID"))
    return { done: false, retryable: false, problem, status, kind: "auth" };
  const perDay = details
    .flatMap((detail) => (Array.isArray(detail.violations) ? detail.violations : []))
    .map((violation) => String(asObject(violation)?.quotaId ?? ""))
    .find((quotaId) => /PerDay/i.test(quotaId));
  if (status === 429 && perDay)
    return {
      done: false,
      retryable: false,
      problem: `daily quota ${perDay} used up (it resets tomorrow): ${problem}`,
      status,
      kind: "infra",
    };
  const retryable =
    shouldRetry === "true" || (shouldRetry !== "false" && (RETRYABLE_STATUSES.has(status) || status >= 500));
  const retryAfterMs = readRetryAfterMs(headers, nowMs) ?? readRetryDelayMs(details);
  return { done: false, retryable, problem, status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

/** `error.details` of a Google error body (`google.rpc.Status`); empty when the body is not one. */
function readErrorDetails(body: string): Json[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  // Google sometimes wraps the error object in a one-element array.
  const root = asObject(Array.isArray(parsed) ? parsed[0] : parsed);
  const details = asObject(root?.error)?.details;
  if (!Array.isArray(details)) return [];
  return details
    .map((detail: unknown) => asObject(detail))
    .filter((detail): detail is Json => detail !== undefined);
}

/** Gemini's `RetryInfo.retryDelay` (a protobuf Duration such as "34.4s"), milliseconds. */
function readRetryDelayMs(details: Json[]): number | undefined {
  for (const detail of details) {
    const delay = detail.retryDelay;
    if (typeof delay !== "string") continue;
    const match = /^(\d+(?:\.\d+)?)s$/.exec(delay.trim());
    if (match) return Math.round(Number(match[1]) * 1000);
  }
  return undefined;
}

/**
 * The provider's own words from a problem line `HTTP 401: {body}`: `authentication_error: invalid
 * x-api-key` from the error objects of Anthropic (`type`), Gemini (`status`), OpenAI (`type`) and
 * Bedrock (`message`); the line as it came when the body is not such JSON (or was cut).
 */
export function readProviderWords(problem: string): string {
  try {
    const root = asObject(JSON.parse(problem.replace(/^HTTP \d+: /, "")));
    const error = root?.error ?? root;
    const fields = asObject(error);
    const kind = [fields?.type, fields?.status].find((value) => typeof value === "string");
    const message = typeof error === "string" ? error : (fields?.message ?? fields?.Message);
    if (typeof message === "string") return kind ? `${kind}: ${message}` : message;
  } catch {
    // Not JSON: the line as it came says more than nothing.
  }
  return problem;
}

/**
 * Why an HTTP 200 answer is a refusal all the same, or undefined: Gemini blocks a prompt by
 * answering with no candidate and a `promptFeedback.blockReason`, and asking again gets the same.
 */
export function readBlockedPrompt(body: unknown): string | undefined {
  const root = asObject(body);
  const reason = asObject(root?.promptFeedback)?.blockReason;
  const candidates = root?.candidates;
  if (typeof reason !== "string" || (Array.isArray(candidates) && candidates.length > 0)) return undefined;
  return `Gemini blocked the prompt: ${reason}`;
}

/** An OpenAI chat refusal's words (`message.refusal`, sent with `content: null`), or undefined. */
export function readOpenAiRefusal(body: unknown): string | undefined {
  const choices = asObject(body)?.choices;
  const message = asObject(asObject(Array.isArray(choices) ? choices[0] : undefined)?.message);
  return typeof message?.refusal === "string" && !message.content ? message.refusal : undefined;
}
