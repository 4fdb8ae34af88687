// The queue (`run --queue` with `swegate worker` processes, BullMQ on a redis-server of its own):
// the demo with the oracle through 1 worker process vs 2 (throughput ratio), and a queued run with
// one worker against a local run with one worker (what the queue adds per instance). Needs
// redis-server. Run alone with `npx tsx bench/queue-bench.ts`.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startRedis } from "../src/queue/test-support/start-redis.js";

const bin = fileURLToPath(new URL("../bin/swegate.js", import.meta.url));
const ROUNDS = 3;
const DEMO_INSTANCES = 5;

export async function benchQueue(): Promise<string[]> {
  if (spawnSync("redis-server", ["--version"]).status !== 0)
    return ["queue: skipped (needs redis-server: apt-get install redis-server)"];
  const scratch = mkdtempSync(join(tmpdir(), "swegate-queue-bench-"));
  const env = { ...process.env, SWEGATE_FROM_SOURCE: "1", XDG_CONFIG_HOME: join(scratch, "config") };
  const redis = await startRedis(scratch);
  const started: ChildProcess[] = [];
  try {
    const run = (args: string[]) => {
      const began = performance.now();
      const result = spawnSync(process.execPath, [bin, "run", "--model", "oracle", "--json", ...args], {
        env,
        encoding: "utf8",
      });
      if (result.status !== 0) throw new Error(`run failed: ${result.stderr}`);
      return performance.now() - began;
    };
    const local = (round: number) =>
      run([
        "--store",
        join(scratch, `local-${round}`),
        "--cache-dir",
        join(scratch, "cache"),
        "--workers",
        "1",
      ]);
    const queued = (db: number, round: number) =>
      run([
        "--queue",
        redis.url(db),
        "--store",
        join(scratch, `queued-${db}-${round}`),
        "--cache-dir",
        join(scratch, "cache"),
      ]);
    const startWorkers = async (db: number, count: number) => {
      for (let index = 0; index < count; index++) {
        const child = spawn(
          process.execPath,
          [
            bin,
            "worker",
            "--queue",
            redis.url(db),
            "--cache-dir",
            join(scratch, `worker-${db}-${index}`),
            "--workers",
            "1",
          ],
          { env, stdio: ["ignore", "pipe", "ignore"] },
        );
        started.push(child);
        await new Promise<void>((resolve) => {
          let output = "";
          child.stdout?.on("data", (chunk) => {
            output += chunk;
            if (output.includes("waiting for instances")) resolve();
          });
        });
      }
    };
    await startWorkers(1, 1);
    await startWorkers(2, 2);
    // Warm-up: demo repositories, mirrors and checkouts exist before anything is timed.
    local(0);
    queued(1, 0);
    queued(2, 0);
    const median = (times: number[]) =>
      [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)] as number;
    const rounds = Array.from({ length: ROUNDS }, (_, index) => index + 1);
    const localTime = median(rounds.map((round) => local(round)));
    const oneWorker = median(rounds.map((round) => queued(1, round)));
    const twoWorkers = median(rounds.map((round) => queued(2, round)));
    return [
      `queue: the demo (${DEMO_INSTANCES} instances, oracle) through 2 worker processes vs 1: ${(oneWorker / twoWorkers).toFixed(2)}× the throughput (median of ${ROUNDS})`,
      `queue: 1 worker process vs a local run with --workers 1: ${(oneWorker / localTime).toFixed(2)}× the time, ${perInstance(oneWorker - localTime)} per instance`,
    ];
  } finally {
    for (const child of started) child.kill("SIGTERM");
    await Promise.all(
      started.map((child) =>
        child.exitCode === null ? new Promise((resolve) => child.once("exit", resolve)) : undefined,
      ),
    );
    await redis.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** A time difference spread over the demo's instances, as `0.12 s more` or `0.05 s less`. */
function perInstance(differenceMs: number): string {
  const seconds = Math.abs(differenceMs) / DEMO_INSTANCES / 1000;
  return `${seconds.toFixed(2)} s ${differenceMs >= 0 ? "more" : "less"}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  for (const line of await benchQueue()) console.log(line);
