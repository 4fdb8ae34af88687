/** A run's spending limit; the run layer records each call's cost and stops starting work once exceeded. */
export interface CostBudget {
  /** The limit, US dollars (Infinity when none). */
  readonly maxUsd: number;
  /** Records a call's cost; null (unknown price) counts as an unpriced call, not as free. */
  spend(costUsd: number | null): void;
  /** True once the spent total reaches the limit. */
  exceeded(): boolean;
  /** Spent so far on priced calls, US dollars. */
  spentUsd(): number;
  /** Dollars left before the limit (0 when exceeded). */
  remainingUsd(): number;
  /** Calls whose price was unknown: their cost is missing from `spentUsd`. */
  unpricedCalls(): number;
}

/** A budget of `maxUsd` US dollars (undefined: no limit). */
export function createCostBudget(maxUsd?: number): CostBudget {
  if (maxUsd !== undefined && !(maxUsd >= 0))
    throw new RangeError(`budget must be a non-negative number of USD, got ${maxUsd}`);
  const limit = maxUsd ?? Number.POSITIVE_INFINITY;
  let spent = 0;
  let unpriced = 0;
  return {
    maxUsd: limit,
    spend(costUsd) {
      if (costUsd === null) unpriced++;
      else spent += costUsd;
    },
    exceeded: () => spent >= limit,
    spentUsd: () => spent,
    remainingUsd: () => Math.max(0, limit - spent),
    unpricedCalls: () => unpriced,
  };
}
