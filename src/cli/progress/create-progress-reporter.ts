import cliProgress from "cli-progress";
import type { InstanceResult } from "../../store/records.js";
import { printJsonLine } from "../output.js";

type Event = { type: string; [key: string]: unknown };

/**
 * Turns run events into what a person or program sees: JSON lines with --json; on a terminal a live
 * bar with verified / failed / env-broken / infra counts, cost and ETA, and a line per instance and
 * per step; otherwise plain one-line events.
 */
export function createProgressReporter(options: {
  json: boolean;
  total: number;
  tty: boolean;
  /** A queued run (`--queue`): an instance its coordinator stops waiting for stays with the workers. */
  queued?: boolean;
}): {
  onEvent: (event: Event) => void;
  stop: () => void;
} {
  const counts = {
    verified: 0,
    failed: 0,
    suspicious: 0,
    env_broken: 0,
    infra_error: 0,
    internal_error: 0,
    skipped: 0,
  };
  let cost = 0;
  let done = 0;
  if (options.json) return { onEvent: (event) => printJsonLine(event), stop: () => undefined };
  const bar = options.tty
    ? new cliProgress.MultiBar(
        {
          format:
            " {bar} {value}/{total} | verified {verified} · failed {failed} · suspicious {suspicious} · env-broken {env_broken} · infra {infra} | $ {cost} | ETA {eta_formatted}",
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
    suspicious: counts.suspicious,
    env_broken: counts.env_broken,
    infra: counts.infra_error,
    cost: cost.toFixed(4),
  });
  // One line per worker: the instance it holds and its step (red gate, attempt 3, green gate).
  const workerLines: { bar: cliProgress.SingleBar; instance: string | undefined }[] = [];
  const showStep = (id: string, step: string | undefined) => {
    if (!bar) return;
    let line = workerLines.find((candidate) => candidate.instance === id);
    if (!line && step) {
      line = workerLines.find((candidate) => candidate.instance === undefined);
      if (!line) {
        line = { bar: bar.create(1, 0, { text: "" }, { format: "   {text}" }), instance: undefined };
        workerLines.push(line);
      }
      line.instance = id;
    }
    if (!line) return;
    line.bar.update(0, { text: step ? `${id}: ${step}` : "idle" });
    if (!step) line.instance = undefined;
  };
  const say = (line: string) => (bar ? bar.log(`${line}\n`) : process.stdout.write(`${line}\n`));
  return {
    onEvent(event) {
      const id = String(event.instanceId ?? "");
      if (event.type === "run-start") {
        const run = event.run as { run_id: string; model: string; mode: string };
        say(
          `run ${run.run_id}: ${event.pending} instance(s) to do · model ${run.model} · feedback ${run.mode}`,
        );
      } else if (event.type === "instance-start") showStep(id, "starting");
      else if (event.type === "gate-start") showStep(id, `${event.gate} gate`);
      else if (event.type === "attempt-start") showStep(id, `attempt ${event.attemptNumber}`);
      else if (event.type === "gate-end" && !bar) say(`  ${id}: ${event.gate} gate → ${event.message}`);
      else if (event.type === "instance-abandoned") {
        showStep(id, undefined);
        say(
          options.queued
            ? `  ${id}: left to the workers (its result waits in Redis: a resume with the same --queue collects it)`
            : `  ${id}: interrupted, no result kept (a resume redoes it)`,
        );
      } else if (event.type === "instance-end") {
        const result = event.result as InstanceResult;
        showStep(result.instance_id, undefined);
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
      // Lines logged since the last redraw are written on the next one: draw once more before stopping.
      bar?.update();
      bar?.stop();
    },
  };
}
