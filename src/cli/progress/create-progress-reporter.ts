import cliProgress from "cli-progress";
import type { InstanceResult } from "../../store/records.js";
import { printJsonLine } from "../output.js";

type Event = { type: string; [key: string]: unknown };

/**
 * Turns run events into what a person or program sees: JSON lines with --json; on a terminal a live
 * bar with verified / failed / env-broken / infra counts, cost and ETA, and a line per instance and
 * per step; otherwise plain one-line events.
 */
export function createProgressReporter(options: { json: boolean; total: number; tty: boolean }): {
  onEvent: (event: Event) => void;
  stop: () => void;
} {
  const counts = { verified: 0, failed: 0, env_broken: 0, infra_error: 0, skipped: 0 };
  let cost = 0;
  let done = 0;
  const steps = new Map<string, string>();
  if (options.json) return { onEvent: (event) => printJsonLine(event), stop: () => undefined };
  const bar = options.tty
    ? new cliProgress.MultiBar(
        {
          format:
            " {bar} {value}/{total} | verified {verified} · failed {failed} · env-broken {env_broken} · infra {infra} | $ {cost} | ETA {eta_formatted} | {steps}",
          hideCursor: true,
          clearOnComplete: false,
          stopOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const overall = bar?.create(options.total, 0, {});
  const payload = () => ({
    verified: counts.verified,
    failed: counts.failed,
    env_broken: counts.env_broken,
    infra: counts.infra_error,
    cost: cost.toFixed(4),
    steps: [...steps.entries()]
      .map(([id, step]) => `${id.replace(/^.*__/, "")}: ${step}`)
      .join("; ")
      .slice(0, 80),
  });
  const say = (line: string) => (bar ? bar.log(`${line}\n`) : process.stdout.write(`${line}\n`));
  return {
    onEvent(event) {
      const id = String(event.instanceId ?? "");
      if (event.type === "run-start") {
        const run = event.run as { run_id: string; model: string; mode: string };
        say(
          `run ${run.run_id}: ${event.pending} instance(s) to do · model ${run.model} · feedback ${run.mode}`,
        );
      } else if (event.type === "gate-start") steps.set(id, `${event.gate} gate`);
      else if (event.type === "attempt-start") steps.set(id, `attempt ${event.attemptNumber}`);
      else if (event.type === "gate-end" && !bar) say(`  ${id}: ${event.gate} gate → ${event.message}`);
      else if (event.type === "instance-end") {
        const result = event.result as InstanceResult;
        steps.delete(result.instance_id);
        counts[result.status]++;
        cost += result.cost_usd ?? 0;
        done++;
        const detail =
          result.status === "verified" || result.status === "failed"
            ? ` after ${result.attempts_made} attempt(s)`
            : result.reason
              ? ` (${result.reason})`
              : "";
        say(`[${done}/${options.total}] ${result.instance_id}: ${result.status}${detail}`);
      }
      overall?.update(done, payload());
    },
    stop() {
      bar?.stop();
    },
  };
}
