import { readRetryAfterMs } from "./read-retry-after.js";
import type { TryOutcome } from "./with-retries.js";

/** A 200 answer: its status and parsed JSON body. */
export interface JsonAnswer {
  /** HTTP status (2xx). */
  status: number;
  /** The parsed body, as received. */
  body: unknown;
}

/** Request timeout, conflict, rate limit: worth another try, like every 5xx. */
const RETRYABLE_STATUSES = new Set([408, 409, 429]);

/**
 * One POST of a JSON body, classified for `withRetries`: 408/409/429/5xx, network errors, a hung
 * connection cut at `timeoutMs` and a truncated JSON body are retryable; other 4xx are not. The
 * server's `x-should-retry` header (sent by Anthropic and OpenAI) overrides the status rule.
 */
export async function postJson(
  url: string,
  headers: Record<string, string>,
  body: unknown,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<TryOutcome<JsonAnswer>> {
  const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.any(signals),
    });
    // The timeout also covers reading the body: a server that stalls mid-answer is cut too.
    text = await response.text();
  } catch (error) {
    const failure = error as Error;
    const cause =
      failure.name === "TimeoutError"
        ? `no answer within ${options.timeoutMs} ms`
        : failure.name === "AbortError"
          ? "cancelled"
          : String((failure.cause as Error | undefined)?.message ?? failure.cause ?? failure.message);
    return { done: false, retryable: true, problem: `network: ${cause}` };
  }
  const shouldRetry = response.headers.get("x-should-retry");
  if (!response.ok) {
    const retryable =
      shouldRetry === "true" ||
      (shouldRetry !== "false" && (RETRYABLE_STATUSES.has(response.status) || response.status >= 500));
    return {
      done: false,
      retryable,
      problem: `HTTP ${response.status}: ${text.slice(0, 300)}`,
      status: response.status,
      retryAfterMs: readRetryAfterMs(response.headers),
    };
  }
  try {
    return { done: true, value: { status: response.status, body: JSON.parse(text) } };
  } catch {
    if ((response.headers.get("content-type") ?? "").includes("text/html")) {
      // A web page, not an API: the base URL is wrong, and asking again will not change that.
      return {
        done: false,
        retryable: false,
        problem: `the endpoint answered with a web page, not JSON (check the base URL): ${url}`,
        status: response.status,
      };
    }
    return {
      done: false,
      retryable: true,
      problem: `unreadable JSON body (${text.length} bytes): ${text.slice(0, 80)}`,
      status: response.status,
    };
  }
}
