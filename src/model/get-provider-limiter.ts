import PQueue from "p-queue";

/** Default calls in flight per provider. */
export const DEFAULT_CONCURRENCY = 8;

const limiters = new Map<string, PQueue>();

/**
 * The process-wide limiter of one provider, shared by all its models, so two models of one
 * provider never exceed its rate limits together. An explicit `concurrency` resets the limit
 * (the latest explicit setting wins); without one, the existing limit stays.
 */
export function getProviderLimiter(provider: string, concurrency?: number): PQueue {
  let limiter = limiters.get(provider);
  if (!limiter) {
    limiter = new PQueue({ concurrency: concurrency ?? DEFAULT_CONCURRENCY });
    limiters.set(provider, limiter);
  } else if (concurrency !== undefined) {
    limiter.concurrency = concurrency;
  }
  return limiter;
}
