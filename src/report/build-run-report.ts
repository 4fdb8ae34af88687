import type { AttemptRecord } from "../store/attempt-record.js";
import { type InstanceResult, type RunRecord, reproducedTheBug } from "../store/records.js";

/** 95% Wilson score interval for k successes in n trials. */
export function wilsonInterval(successes: number, trials: number): { low: number; high: number } {
  if (trials === 0) return { low: 0, high: 0 };
  const z = 1.96;
  const p = successes / trials;
  const denominator = 1 + (z * z) / trials;
  const centre = (p + (z * z) / (2 * trials)) / denominator;
  const margin = (z * Math.sqrt((p * (1 - p)) / trials + (z * z) / (4 * trials * trials))) / denominator;
  return { low: Math.max(0, centre - margin), high: Math.min(1, centre + margin) };
}

/** Everything a report shows, computed once from the store's records (pure). */
export interface RunReport {
  run: RunRecord;
  /** selected → red gate ran → healthy (reproduced) → verified. */
  funnel: { selected: number; finished: number; healthy: number; verified: number };
  /** Verified over healthy, with its 95% Wilson interval. */
  verified_rate: { rate: number; low: number; high: number };
  by_status: Record<string, number>;
  by_repo: Record<string, { healthy: number; verified: number }>;
  /** How many instances were verified on attempt k, and the cumulative share of healthy ones by attempt k. */
  verified_on_attempt: { attempt: number; count: number; cumulative_rate: number }[];
  failure_classes: Record<string, number>;
  env_broken_reasons: Record<string, number>;
  /** Instances whose final patch the log grades but the evidence does not back, or that tamper with the test run: with the reasons. */
  suspicious: { instance_id: string; reasons: string[] }[];
  cost: {
    total_usd: number;
    unknown_instances: number;
    tokens_in: number;
    tokens_out: number;
    /** Of `tokens_out`, those spent thinking (where providers report it). */
    tokens_reasoning: number;
  };
  /** Present in oracle mode: the numbers are not leaderboard-comparable. */
  leaderboard_warning: string | null;
  instances: (InstanceResult & { attempts: AttemptRecord[] })[];
}

export function buildRunReport(
  run: RunRecord,
  results: InstanceResult[],
  attemptsOf: (instanceId: string) => AttemptRecord[],
): RunReport {
  const count = <T extends string>(values: T[]) =>
    values.reduce<Record<string, number>>((totals, value) => {
      totals[value] = (totals[value] ?? 0) + 1;
      return totals;
    }, {});
  // Suspicious instances reproduced the bug too: they count as healthy and not verified.
  const healthy = results.filter((result) => reproducedTheBug(result.status));
  const verified = results.filter((result) => result.verified);
  const interval = wilsonInterval(verified.length, healthy.length);
  const byRepo: RunReport["by_repo"] = {};
  for (const result of healthy) {
    const entry = byRepo[result.repo] ?? { healthy: 0, verified: 0 };
    byRepo[result.repo] = entry;
    entry.healthy++;
    if (result.verified) entry.verified++;
  }
  const maxAttempt = Math.max(0, ...results.map((result) => result.attempts_made));
  let cumulative = 0;
  const onAttempt = Array.from({ length: maxAttempt }, (_, index) => {
    const attempt = index + 1;
    const verifiedHere = verified.filter((result) => result.attempts_made === attempt).length;
    cumulative += verifiedHere;
    return {
      attempt,
      count: verifiedHere,
      cumulative_rate: healthy.length ? cumulative / healthy.length : 0,
    };
  });
  const instances = results.map((result) => ({ ...result, attempts: attemptsOf(result.instance_id) }));
  const failureClasses = count(
    instances.flatMap((instance) => instance.attempts.map((attempt) => attempt.failure_class ?? "passed")),
  );
  return {
    run,
    funnel: {
      selected: run.selection.length,
      finished: results.length,
      healthy: healthy.length,
      verified: verified.length,
    },
    verified_rate: { rate: healthy.length ? verified.length / healthy.length : 0, ...interval },
    by_status: count(results.map((result) => result.status)),
    by_repo: byRepo,
    verified_on_attempt: onAttempt,
    failure_classes: failureClasses,
    env_broken_reasons: count(
      results
        .filter((result) => result.status === "env_broken")
        .map((result) => (result.reason ?? "unknown").replace(/^env_broken: /, "")),
    ),
    suspicious: results
      .filter((result) => result.status === "suspicious")
      .map((result) => ({
        instance_id: result.instance_id,
        reasons: result.green_gate?.suspicious ?? [result.reason ?? ""],
      })),
    cost: {
      total_usd: results.reduce((total, result) => total + (result.cost_usd ?? 0), 0),
      unknown_instances: results.filter((result) => result.cost_usd === null).length,
      tokens_in: results.reduce((total, result) => total + result.tokens.input + result.tokens.cache_read, 0),
      tokens_out: results.reduce((total, result) => total + result.tokens.output, 0),
      tokens_reasoning: results.reduce((total, result) => total + (result.tokens.reasoning ?? 0), 0),
    },
    leaderboard_warning:
      run.mode === "oracle"
        ? "Oracle feedback mode: the hidden FAIL_TO_PASS/PASS_TO_PASS results were fed back to the model. These numbers are NOT comparable with the SWE-bench leaderboard."
        : null,
    instances,
  };
}
