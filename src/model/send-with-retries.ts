/** Outcome of an HTTP exchange with a provider, after retries. */
export type SendOutcome =
  | { ok: true; status: number; body: unknown; retries: number }
  | { ok: false; kind: "infra" | "refused"; status?: number; message: string; retries: number };

export interface RetryPolicy {
  /** Retries after the first try. */
  maxRetries: number;
  /** Per-request timeout, milliseconds (a hung connection is cut and retried). */
  timeoutMs: number;
  /** Longest single wait, milliseconds. */
  maxDelayMs?: number;
  /** Waits (injectable so tests need not wait for real). */
  sleep?: (milliseconds: number) => Promise<void>;
  signal?: AbortSignal;
}

const RETRYABLE = new Set([408, 409, 429]);

/** How long a `retry-after` / `retry-after-ms` header asks to wait, in milliseconds. */
export function retryAfterMs(headers: Headers): number | undefined {
  const milliseconds = headers.get("retry-after-ms");
  if (milliseconds && Number.isFinite(Number(milliseconds))) return Number(milliseconds);
  const value = headers.get("retry-after");
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * POSTs JSON and classifies the outcome: 408/409/429/5xx, network errors, timeouts and unreadable
 * bodies are retried with exponential backoff and full jitter (honouring `retry-after`), other 4xx are
 * refused at once, and exhausted retries are an infrastructure failure — never the model's.
 */
export async function sendWithRetries(
  url: string,
  headers: Record<string, string>,
  body: unknown,
  policy: RetryPolicy,
): Promise<SendOutcome> {
  const sleep =
    policy.sleep ??
    ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
  const maxDelay = policy.maxDelayMs ?? 60_000;
  let lastProblem = "";
  let lastStatus: number | undefined;
  for (let attempt = 0; attempt <= policy.maxRetries; attempt++) {
    let wait: number | undefined;
    try {
      const signals = [AbortSignal.timeout(policy.timeoutMs), ...(policy.signal ? [policy.signal] : [])];
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.any(signals),
      });
      const text = await response.text();
      lastStatus = response.status;
      if (response.ok) {
        try {
          return { ok: true, status: response.status, body: JSON.parse(text), retries: attempt };
        } catch {
          lastProblem = `unreadable response body (${text.slice(0, 80)})`;
        }
      } else if (RETRYABLE.has(response.status) || response.status >= 500) {
        lastProblem = `HTTP ${response.status}: ${text.slice(0, 200)}`;
        wait = retryAfterMs(response.headers);
      } else {
        return {
          ok: false,
          kind: "refused",
          status: response.status,
          message: `HTTP ${response.status}: ${text.slice(0, 300)}`,
          retries: attempt,
        };
      }
    } catch (error) {
      if (policy.signal?.aborted) return { ok: false, kind: "infra", message: "cancelled", retries: attempt };
      const cause =
        (error as Error).name === "TimeoutError"
          ? `no answer within ${policy.timeoutMs} ms`
          : String((error as Error).cause ?? (error as Error).message);
      lastProblem = `network: ${cause}`;
      lastStatus = undefined;
    }
    if (attempt === policy.maxRetries) break;
    const backoff = Math.random() * Math.min(maxDelay, 1000 * 2 ** attempt);
    await sleep(Math.min(maxDelay, wait ?? backoff));
  }
  return {
    ok: false,
    kind: "infra",
    status: lastStatus,
    message: `gave up after ${policy.maxRetries} retries: ${lastProblem}`,
    retries: policy.maxRetries,
  };
}
