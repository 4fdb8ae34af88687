/** What one try gave: a value, or a problem that may be worth another try. */
export type TryOutcome<T> =
  | { done: true; value: T }
  | {
      done: false;
      /** False for faults another try cannot fix (bad key, bad request). */
      retryable: boolean;
      /** One line saying what went wrong. */
      problem: string;
      /** HTTP status when there was one. */
      status?: number;
      /** Wait the server asked for, milliseconds. */
      retryAfterMs?: number;
      /** How a non-retryable problem ends, when the status alone does not say (Gemini's bad key is a 400). */
      kind?: RetryFailure["kind"];
    };

/** How a call ended without a value, after its retries. */
export interface RetryFailure {
  ok: false;
  /**
   * `auth`: the provider refused the key (HTTP 401 or 403), which no other call can get past either;
   * `refused`: not retryable (bad request); `infra`: retries exhausted, network, timeout or cancelled.
   */
  kind: "infra" | "refused" | "auth";
  /** One line for the run's record (for `auth`, the provider's own message). */
  message: string;
  /** HTTP status of the last try, when there was one. */
  status?: number;
  /** Retries made before giving up. */
  retries: number;
}

/** Statuses by which a provider refuses the key itself: every later call would be refused the same way. */
const KEY_REFUSED = new Set([401, 403]);

/** The end result after retries. */
export type RetriedOutcome<T> =
  | { ok: true; value: T /** Retries made (0 when the first try worked). */; retries: number }
  | RetryFailure;

export interface RetryPolicy {
  /** Retries after the first try. */
  maxRetries: number;
  /** First backoff ceiling, milliseconds (doubles each retry). Default 1000. */
  baseDelayMs?: number;
  /** Longest single wait, milliseconds, also for a `retry-after` asking for more. Default 60000. */
  maxDelayMs?: number;
  /** Waits; injectable so tests record delays instead of waiting. Default: real timers. */
  sleep?: (milliseconds: number) => Promise<void>;
  /** Random in [0, 1) for jitter; injectable for tests. */
  random?: () => number;
  /** Stops retrying (run cancelled). */
  signal?: AbortSignal;
}

/** Exponential backoff with full jitter: uniform in [0, min(max, base·2^retry)) milliseconds. */
export function computeBackoffMs(
  retryIndex: number,
  policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs" | "random">,
): number {
  const ceiling = Math.min(policy.maxDelayMs ?? 60_000, (policy.baseDelayMs ?? 1000) * 2 ** retryIndex);
  return (policy.random ?? Math.random)() * ceiling;
}

/** Waits `milliseconds`, or less when `signal` aborts (whatever waited then sees the abort itself). */
export const sleepUnlessAborted = (milliseconds: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(finish, milliseconds);
    function finish() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", finish);
      resolve();
    }
    signal?.addEventListener("abort", finish, { once: true });
  });

/**
 * Runs `tryOnce` until it gives a value, a non-retryable problem, or `maxRetries` retries are spent.
 * Between tries it waits what the server asked (`retry-after`), else a jittered exponential backoff,
 * never more than `maxDelayMs`. Exhausted retries are an infrastructure failure, never the model's.
 */
export async function withRetries<T>(
  tryOnce: (tryIndex: number) => Promise<TryOutcome<T>>,
  policy: RetryPolicy,
): Promise<RetriedOutcome<T>> {
  const sleep = policy.sleep ?? ((milliseconds: number) => sleepUnlessAborted(milliseconds, policy.signal));
  const maxDelay = policy.maxDelayMs ?? 60_000;
  for (let tryIndex = 0; ; tryIndex++) {
    if (policy.signal?.aborted) return { ok: false, kind: "infra", message: "cancelled", retries: tryIndex };
    const outcome = await tryOnce(tryIndex);
    if (outcome.done) return { ok: true, value: outcome.value, retries: tryIndex };
    if (policy.signal?.aborted) return { ok: false, kind: "infra", message: "cancelled", retries: tryIndex };
    if (!outcome.retryable) {
      return {
        ok: false,
        kind:
          outcome.kind ??
          (outcome.status !== undefined && KEY_REFUSED.has(outcome.status) ? "auth" : "refused"),
        message: outcome.problem,
        status: outcome.status,
        retries: tryIndex,
      };
    }
    if (tryIndex >= policy.maxRetries) {
      return {
        ok: false,
        kind: "infra",
        message: `gave up after ${tryIndex} retries: ${outcome.problem}`,
        status: outcome.status,
        retries: tryIndex,
      };
    }
    await sleep(Math.min(maxDelay, outcome.retryAfterMs ?? computeBackoffMs(tryIndex, policy)));
  }
}
