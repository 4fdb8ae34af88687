import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, runCli, runCliAsync, swegateBin } from "../cli/test-support/run-cli.js";
import { loadDemoDataset } from "../dataset/demo/load-demo-dataset.js";
import { requireSandbox } from "../exec/test-support/require-sandbox.js";
import { answerJson, chatCompletion, serveJson } from "../model/test-support/serve-json.js";
import { openStore } from "../store/open-store.js";
import type { InstanceResult } from "../store/records.js";
import { QUEUE_NAME } from "./queue-connection.js";
import { cutLargeLog, queueJobId } from "./queued-instance.js";
import { freePort, redisServerMissing, startRedis } from "./test-support/start-redis.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-queue-"));
// No provider key anywhere: the queued runs here use scripted models or a local fake, and one test needs none set.
const env = { XDG_CONFIG_HOME: join(scratch, "config"), ANTHROPIC_API_KEY: "" };
const cacheDir = join(scratch, "cache");
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** The results a `run --json` printed, by instance id (every instance-end event, duplicates kept). */
function endedResults(stdout: string): InstanceResult[] {
  return stdout
    .trim()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line))
    .filter((event) => event.type === "instance-end")
    .map((event) => event.result as InstanceResult);
}

const verdicts = (results: InstanceResult[]) =>
  Object.fromEntries(
    results
      .map(
        (result) =>
          [result.instance_id, `${result.status} ${result.attempts_made} ${result.reason}`] as const,
      )
      .sort(),
  );

/** A `swegate worker` process of the test's, with what it printed so far. */
interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<void>;
}

const workers: WorkerProcess[] = [];
let workersStarted = 0;

/** Each worker has a cache of its own, as one on another machine would. */
function startWorker(queue: string, lockSeconds = 3, extra: string[] = []): WorkerProcess {
  const child = spawn(
    process.execPath,
    [
      swegateBin,
      "worker",
      "--queue",
      queue,
      "--cache-dir",
      join(scratch, `worker-cache-${workersStarted++}`),
      "--workers",
      "1",
      "--lock-seconds",
      String(lockSeconds),
      ...extra,
    ],
    { env: { ...process.env, SWEGATE_FROM_SOURCE: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const worker = { child, output: () => output, exited };
  workers.push(worker);
  return worker;
}

async function stopWorkers(): Promise<void> {
  for (const worker of workers.splice(0)) {
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGTERM");
    await worker.exited;
  }
}

async function waitFor(what: string, ready: () => boolean | Promise<boolean>, seconds = 180): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A chat completion answering with `patch` as a fenced diff. */
function goldAnswer(patch: string | undefined) {
  return chatCompletion(`\`\`\`diff\n${patch}\`\`\`\n`);
}

/** `run` of one demo instance through `queue` with the model at `origin`, one attempt, JSON events. */
function runOneQueued(queue: string, origin: string, runId: string): Promise<CliResult> {
  return runCliAsync(
    [
      "run",
      "--model",
      "openai-compatible:fake",
      "--base-url",
      `${origin}/v1`,
      "--instances",
      "swegate-demo__calculator-1",
      "--max-attempts",
      "1",
      "--run-id",
      runId,
      "--queue",
      queue,
      "--json",
      "--store",
      join(scratch, runId),
      "--cache-dir",
      cacheDir,
    ],
    { env },
  );
}

const takenLines = (workerProcesses: WorkerProcess[]) =>
  workerProcesses.flatMap((worker) => worker.output().split("\n")).filter((line) => line.endsWith(": taken"));

describe("queue job ids, cut logs and --queue addresses", () => {
  it("a job id names one run and instance, never with the `:` BullMQ refuses", () => {
    expect(queueJobId("run-1", "django__django-11099")).toBe("run-1+django__django-11099");
    expect(queueJobId("a:b", "c")).not.toContain(":");
    // Joined by `+`, which encoding escapes inside the parts: no two pairs share an id.
    expect(queueJobId("a+b", "c")).not.toBe(queueJobId("a", "b+c"));
  });

  it("a log over the limit travels as its beginning and end, with a note saying what was cut", () => {
    const log = `${"a".repeat(600)}${"b".repeat(600)}`;
    const cut = cutLargeLog(log, 1000);
    expect(cut.startsWith("a".repeat(500))).toBe(true);
    expect(cut.endsWith("b".repeat(500))).toBe(true);
    expect(cut).toContain("200 characters of this log were cut here");
    expect(cutLargeLog("short", 1000)).toBe("short");
  });

  it("--rpm without --queue is one line saying what it is for", () => {
    const result = runCli(["run", "--model", "oracle", "--rpm", "30", "--store", join(scratch, "no-queue")], {
      env,
    });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("--rpm=30: --rpm spaces model calls across a queue's workers");
  });

  it("a queued run resumed without --queue is refused in one line naming the flag and the queue (its workers may hold its instances)", () => {
    const dir = join(scratch, "queued-resume");
    const store = openStore(dir);
    const now = new Date().toISOString();
    store.createRun({
      run_id: "spread",
      created_at: now,
      updated_at: now,
      status: "interrupted",
      model: "oracle",
      mode: "oracle",
      dataset_source: "demo",
      dataset_digest: "x",
      selection: ["swegate-demo__calculator-1"],
      config: { queue: "redis://queue-host:6379/1" },
      swegate_version: "0",
    });
    store.close();
    for (const flag of ["--resume", "--run-id"]) {
      const result = runCli(["run", flag, "spread", "--store", dir, "--cache-dir", cacheDir], { env });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toContain(
        `${flag}=spread: run spread was spread over the queue redis://queue-host:6379/1: its workers may still hold its instances`,
      );
      expect(result.stderr).toContain("add --queue redis://queue-host:6379/1");
    }
  });

  it("a --queue that is no redis:// URL, or a Redis nobody answers at, is one line naming the flag", async () => {
    const notRedis = runCli(["worker", "--queue", "http://127.0.0.1:6379"], { env });
    expect(notRedis.code).toBe(2);
    expect(notRedis.stderr.trim()).toMatch(
      /^swegate: --queue=http:\/\/127\.0\.0\.1:6379: .* is not a redis:\/\/ URL/,
    );
    const port = await freePort();
    const unreachable = runCli(
      [
        "run",
        "--model",
        "oracle",
        "--queue",
        `redis://127.0.0.1:${port}/0`,
        "--store",
        join(scratch, "nowhere"),
        "--cache-dir",
        cacheDir,
      ],
      { env },
    );
    expect(unreachable.code, unreachable.stderr).toBe(3);
    expect(unreachable.stderr.trim().split("\n")).toHaveLength(1);
    expect(unreachable.stderr).toContain(`--queue=redis://127.0.0.1:${port}/0: cannot reach Redis`);
    expect(unreachable.stderr).toContain("start redis-server there");
  });
});

const skip = requireSandbox("the queue tests (a real redis-server)", redisServerMissing());

describe.skipIf(skip)(
  "run --queue with swegate worker processes (real redis-server, real git and pytest)",
  () => {
    let redis: Awaited<ReturnType<typeof startRedis>>;
    beforeAll(async () => {
      redis = await startRedis(mkdtempSync(join(scratch, "redis-")));
      expect(runCli(["keys", "init", "--json"], { env }).code).toBe(0);
    }, 60_000);
    afterEach(stopWorkers, 60_000);
    afterAll(async () => {
      await stopWorkers();
      await redis?.stop();
    }, 60_000);

    it("the demo through the queue with two worker processes gives a local run's verdicts, with certificates this machine signed", async () => {
      const queue = redis.url(1);
      const pool = [startWorker(queue), startWorker(queue)];
      const [queued, local] = await Promise.all([
        runCliAsync(
          [
            "run",
            "--model",
            "oracle",
            "--queue",
            queue,
            "--json",
            "--store",
            join(scratch, "queued"),
            "--cache-dir",
            cacheDir,
          ],
          { env },
        ),
        runCliAsync(
          [
            "run",
            "--model",
            "oracle",
            "--json",
            "--store",
            join(scratch, "local"),
            "--cache-dir",
            join(scratch, "local-cache"),
            "--workers",
            "2",
          ],
          { env },
        ),
      ]);
      expect(queued.code, queued.stderr).toBe(0);
      expect(local.code, local.stderr).toBe(0);
      const results = endedResults(queued.stdout);
      expect(results).toHaveLength(5);
      expect(verdicts(results)).toEqual(verdicts(endedResults(local.stdout)));
      expect(verdicts(results)["swegate-demo__calculator-2"]).toBe("verified 1 null");
      expect(verdicts(results)["swegate-demo__broken-1"]).toBe("env_broken 0 env_broken: missing_dependency");
      // Every instance was taken once, by one of the two workers.
      expect(takenLines(pool)).toHaveLength(5);
      // The workers' progress came through the queue as the run's events.
      expect(queued.stdout).toContain('"type":"gate-start"');
      const store = openStore(join(scratch, "queued"));
      const run = store.listRuns()[0];
      expect(run?.status).toBe("completed");
      expect(store.getAttempts(run?.run_id ?? "", "swegate-demo__calculator-1")).toHaveLength(1);
      store.close();
      // show and the report name the machine that ran each instance.
      expect(results.every((result) => result.environment?.details?.machine)).toBe(true);
      const shown = runCli(["show", run?.run_id ?? "", "--store", join(scratch, "queued")], { env });
      expect(shown.stdout.match(/\(on [^)]+\)/g)).toHaveLength(5);
      const out = join(scratch, "queued-report");
      expect(
        runCli(["report", run?.run_id ?? "", "--store", join(scratch, "queued"), "--out", out], { env }).code,
      ).toBe(0);
      expect(readFileSync(join(out, "summary.md"), "utf8").match(/\(on [^)]+\)/g)).toHaveLength(5);
      const verified = results.find((result) => result.instance_id === "swegate-demo__textutils-1");
      expect(verified?.certificate).toContain(join(scratch, "queued", "runs"));
      const check = runCli(["verify", verified?.certificate as string], { env });
      expect(check.code, check.stdout).toBe(0);
    }, 400_000);

    it("validate --queue: two worker processes check the demo's gold patches, and the coordinator's health registry gets a local validate's verdicts", async () => {
      const queue = redis.url(8);
      const pool = [startWorker(queue), startWorker(queue)];
      const validate = (store: string, extra: string[]) =>
        runCliAsync(["validate", "--json", "--store", join(scratch, store), ...extra], { env });
      const [queued, local] = await Promise.all([
        validate("validated-queued", ["--queue", queue, "--cache-dir", cacheDir]),
        validate("validated-local", ["--cache-dir", join(scratch, "validate-cache")]),
      ]);
      expect(queued.code, queued.stderr).toBe(0);
      expect(local.code, local.stderr).toBe(0);
      const lines = (stdout: string) =>
        Object.fromEntries(
          stdout
            .trim()
            .split("\n")
            .map((line) => JSON.parse(line))
            .map((line) => [
              line.instance_id,
              `${line.healthy} ${line.red.verdict} ${line.red.reason} ${line.green.resolved}`,
            ]),
        );
      expect(Object.keys(lines(queued.stdout))).toHaveLength(5);
      expect(lines(queued.stdout)).toEqual(lines(local.stdout));
      expect(lines(queued.stdout)["swegate-demo__calculator-1"]).toBe("true reproduced null true");
      expect(lines(queued.stdout)["swegate-demo__broken-1"]).toMatch(/^false env_broken /);
      const registry = (store: string) => {
        const opened = openStore(join(scratch, store));
        const rows = opened
          .listHealth()
          .map((row) => [row.instance_id, row.fingerprint, row.healthy, row.red_verdict, row.green_resolved]);
        opened.close();
        return rows.sort();
      };
      expect(registry("validated-queued")).toHaveLength(5);
      expect(registry("validated-queued")).toEqual(registry("validated-local"));
      // Every instance was validated once, by one of the two workers.
      expect(takenLines(pool).filter((line) => line.includes("(validation validate-"))).toHaveLength(5);
    }, 400_000);

    it("Ctrl-C on validate --queue takes its instances no worker has taken back off the queue and records nothing", async () => {
      const queue = redis.url(12);
      const connection = new Redis(queue, { maxRetriesPerRequest: null });
      const jobs = new Queue(QUEUE_NAME, { connection });
      const store = join(scratch, "validate-interrupted");
      try {
        // No worker: the five validations wait on the queue until Ctrl-C.
        const coordinator = spawn(
          process.execPath,
          [swegateBin, "validate", "--queue", queue, "--store", store, "--cache-dir", cacheDir],
          { env: { ...process.env, SWEGATE_FROM_SOURCE: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] },
        );
        let stderr = "";
        coordinator.stderr?.on("data", (chunk) => {
          stderr += chunk;
        });
        const exited = new Promise<number | null>((resolve) => coordinator.once("exit", resolve));
        await waitFor(
          "five waiting validations",
          async () => (await jobs.getJobCounts("waiting")).waiting === 5,
        );
        coordinator.kill("SIGINT");
        expect(await exited, stderr).toBe(130);
        expect(stderr).toContain(
          "validate interrupted: 0 instance(s) checked and recorded, 5 stopped unrecorded",
        );
        await waitFor("an empty queue", async () => (await jobs.getJobCounts("waiting")).waiting === 0, 10);
        const opened = openStore(store);
        expect(opened.listHealth()).toEqual([]);
        opened.close();
      } finally {
        await jobs.close();
        connection.disconnect();
      }
    }, 400_000);

    it("eval --queue: two worker processes evaluate the demo's gold patches into the harness's layout, as a local eval does", async () => {
      const queue = redis.url(10);
      const pool = [startWorker(queue), startWorker(queue)];
      const evaluate = (out: string, extra: string[]) =>
        runCliAsync(
          [
            "eval",
            "demo",
            "--predictions",
            "gold",
            "--run-id",
            "g",
            "--output-dir",
            join(scratch, out),
            "--json",
            ...extra,
          ],
          { env },
        );
      const [queued, local] = await Promise.all([
        evaluate("eval-queued", ["--queue", queue, "--cache-dir", cacheDir]),
        evaluate("eval-local", ["--cache-dir", join(scratch, "eval-cache")]),
      ]);
      expect(queued.code, queued.stderr).toBe(0);
      expect(local.code, local.stderr).toBe(0);
      const summary = (stdout: string) => {
        const { summary_file: _file, ...rest } = JSON.parse(stdout);
        return rest;
      };
      expect(summary(queued.stdout)).toEqual(summary(local.stdout));
      expect(summary(queued.stdout)).toMatchObject({
        completed_instances: 4,
        resolved_instances: 4,
        error_instances: 1,
      });
      const report = (out: string, id: string) => {
        const { swegate: _own, ...harness } = JSON.parse(
          readFileSync(join(scratch, out, "logs", "run_evaluation", "g", "gold", id, "report.json"), "utf8"),
        )[id];
        return harness;
      };
      for (const id of ["swegate-demo__calculator-1", "swegate-demo__broken-1"])
        expect(report("eval-queued", id)).toEqual(report("eval-local", id));
      // Every prediction was evaluated once, by one of the two workers.
      expect(takenLines(pool).filter((line) => line.includes("(evaluation eval-"))).toHaveLength(5);
    }, 400_000);

    it("ramp --queue runs each phase through the workers as a local ramp does; the same ramp without --queue is refused in one line", async () => {
      const queue = redis.url(11);
      const worker = startWorker(queue);
      const plan = join(scratch, "queued-plan.yaml");
      writeFileSync(
        plan,
        [
          "name: queued-ramp",
          "phases:",
          "  - { name: calculator, size: 3, target: 0.9, repos: [swegate-demo/calculator] }",
          "  - { name: textutils, size: 2, target: 0.5, repos: [swegate-demo/textutils] }",
        ].join("\n"),
      );
      const store = join(scratch, "queued-ramp");
      const ramp = (extra: string[]) =>
        runCliAsync(
          ["ramp", plan, "--max-attempts", "1", "--store", store, "--cache-dir", cacheDir, ...extra],
          {
            env,
          },
        );
      // One attempt only: the demo's two-attempt instance fails, so the first phase reaches 1/2 and misses.
      const result = await ramp(["--queue", queue]);
      expect(result.code, result.stderr).toBe(4);
      expect(result.stdout).toContain("phase calculator: 1/2 verified (50%");
      expect(result.stdout).toContain(
        "ramp stopped: textutils does not start because calculator missed its target",
      );
      // Three calculator instances (one env-broken), each taken once; textutils never enqueued.
      expect(takenLines([worker])).toHaveLength(3);
      expect(worker.output()).toContain("swegate-demo__calculator-1 (run queued-ramp-calculator): verified");
      const opened = openStore(store);
      expect(opened.getInstanceResults("queued-ramp-calculator")).toHaveLength(3);
      opened.close();
      const local = await ramp([]);
      expect(local.code, local.stderr).toBe(2);
      expect(local.stderr.trim().split("\n")).toHaveLength(1);
      expect(local.stderr).toContain(
        "ramp queued-ramp: run queued-ramp-calculator was spread over the queue",
      );
      expect(local.stderr).toContain(`add --queue ${queue}`);
    }, 400_000);

    it("a worker killed with kill -9 while it holds an instance: the other worker redoes it, and it is recorded once", async () => {
      const calculator = (await loadDemoDataset()).instances.find(
        (instance) => instance.instance_id === "swegate-demo__calculator-1",
      );
      // The first model call hangs (its worker is killed meanwhile); later ones answer with the gold patch.
      const server = await serveJson((_seen, response, index) => {
        if (index === 0) return;
        answerJson(response, 200, goldAnswer(calculator?.patch));
      });
      try {
        const queue = redis.url(2);
        const pool = [startWorker(queue), startWorker(queue)];
        await waitFor("both workers", () =>
          pool.every((worker) => worker.output().includes("waiting for instances")),
        );
        const coordinator = runCliAsync(
          [
            "run",
            "--model",
            "openai-compatible:slow",
            "--base-url",
            `${server.origin}/v1`,
            "--instances",
            "swegate-demo__calculator-1",
            "--max-attempts",
            "1",
            "--run-id",
            "killed-worker",
            "--queue",
            queue,
            "--json",
            "--store",
            join(scratch, "killed-worker"),
            "--cache-dir",
            cacheDir,
          ],
          { env },
        );
        await waitFor("the first model call", () => server.seen.length >= 1);
        const holder = pool.find((worker) => takenLines([worker]).length > 0) as WorkerProcess;
        const other = pool.find((worker) => worker !== holder) as WorkerProcess;
        // `swegate workers` lists both, the holder with its instance at its first attempt.
        const listed = await runCliAsync(["workers", "--queue", queue, "--json"], { env });
        expect(listed.code, listed.stderr).toBe(0);
        const fleet = JSON.parse(listed.stdout) as {
          workers: { name: string; jobs: { instance_id: string; step: string }[] }[];
        };
        expect(fleet.workers.map((worker) => worker.name).sort()).toEqual(
          [`${hostname()}-${holder.child.pid}`, `${hostname()}-${other.child.pid}`].sort(),
        );
        expect(fleet.workers.flatMap((worker) => worker.jobs)).toEqual([
          expect.objectContaining({ instance_id: "swegate-demo__calculator-1", step: "attempt 1" }),
        ]);
        holder.child.kill("SIGKILL");
        const result: CliResult = await coordinator;
        expect(result.code, result.stderr).toBe(0);
        const ended = endedResults(result.stdout);
        expect(ended.map((item) => [item.instance_id, item.status])).toEqual([
          ["swegate-demo__calculator-1", "verified"],
        ]);
        expect(other.output()).toContain("swegate-demo__calculator-1 (run killed-worker): verified");
        expect(server.seen).toHaveLength(2);
        const store = openStore(join(scratch, "killed-worker"));
        expect(store.getInstanceResults("killed-worker")).toHaveLength(1);
        expect(store.getAttempts("killed-worker", "swegate-demo__calculator-1")).toHaveLength(1);
        store.close();
      } finally {
        await server.close();
      }
    }, 400_000);

    it("Ctrl-C on a queued run's coordinator says its instances stay with the workers; the resume with --queue collects the result without redoing it", async () => {
      const gold = (await loadDemoDataset()).instances.find(
        (instance) => instance.instance_id === "swegate-demo__calculator-1",
      )?.patch;
      // The model call hangs until the coordinator has been interrupted, then answers with the gold patch.
      let held: ServerResponse | undefined;
      const server = await serveJson((_seen, response) => {
        held = response;
      });
      try {
        const queue = redis.url(9);
        const worker = startWorker(queue, 600);
        const store = join(scratch, "queued-sigint");
        const coordinator = spawn(
          process.execPath,
          [
            swegateBin,
            "run",
            "--model",
            "openai-compatible:fake",
            "--base-url",
            `${server.origin}/v1`,
            "--instances",
            "swegate-demo__calculator-1",
            "--max-attempts",
            "1",
            "--run-id",
            "sigint",
            "--queue",
            queue,
            "--store",
            store,
            "--cache-dir",
            cacheDir,
          ],
          { env: { ...process.env, SWEGATE_FROM_SOURCE: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] },
        );
        let stdout = "";
        let stderr = "";
        coordinator.stdout?.on("data", (chunk) => {
          stdout += chunk;
        });
        coordinator.stderr?.on("data", (chunk) => {
          stderr += chunk;
        });
        const exited = new Promise<number | null>((resolve) => coordinator.once("exit", resolve));
        await waitFor("the model call", () => held !== undefined);
        coordinator.kill("SIGINT");
        expect(await exited, stderr).toBe(130);
        expect(stdout).toContain(
          "swegate-demo__calculator-1: left to the workers (its result waits in Redis: a resume with the same --queue collects it)",
        );
        expect(stdout).not.toContain("no result kept");
        expect(stderr).toContain(
          `finish it with: swegate run --resume sigint --store ${store} --queue ${queue}`,
        );
        answerJson(held as ServerResponse, 200, goldAnswer(gold));
        await waitFor("the worker's verdict", () =>
          worker.output().includes("swegate-demo__calculator-1 (run sigint): verified"),
        );
        const resumed = await runCliAsync(
          [
            "run",
            "--resume",
            "sigint",
            "--queue",
            queue,
            "--json",
            "--store",
            store,
            "--cache-dir",
            cacheDir,
          ],
          { env },
        );
        expect(resumed.code, resumed.stderr).toBe(0);
        expect(endedResults(resumed.stdout).map((item) => item.status)).toEqual(["verified"]);
        expect(server.seen).toHaveLength(1);
      } finally {
        await server.close();
      }
    }, 400_000);

    it("a worker stopped with SIGTERM puts its instance back at once, and one whose key the provider refuses does too and exits 3", async () => {
      const gold = (await loadDemoDataset()).instances.find(
        (instance) => instance.instance_id === "swegate-demo__calculator-1",
      )?.patch;
      // Call 1 hangs until its worker is stopped; call 2 refuses the key; call 3 answers.
      const server = await serveJson((_seen, response, index) => {
        if (index === 0) return;
        if (index === 1) answerJson(response, 401, { error: { message: "invalid api key" } });
        else answerJson(response, 200, goldAnswer(gold));
      });
      try {
        const queue = redis.url(4);
        // Locks far longer than the test: only a put-back, not the stalled check, can hand the instance on.
        const stopped = startWorker(queue, 600);
        await waitFor("the worker", () => stopped.output().includes("waiting for instances"));
        const coordinator = runOneQueued(queue, server.origin, "put-back");
        await waitFor("the first model call", () => server.seen.length >= 1);
        stopped.child.kill("SIGTERM");
        await stopped.exited;
        expect(stopped.output()).toContain(
          "swegate-demo__calculator-1 (run put-back): put back on the queue",
        );
        expect(stopped.child.exitCode).toBe(143);
        const refused = startWorker(queue, 600);
        await refused.exited;
        expect(refused.child.exitCode).toBe(3);
        expect(refused.output()).toContain("the provider refused this machine's API key");
        const last = startWorker(queue, 600);
        const result = await coordinator;
        expect(result.code, result.stderr).toBe(0);
        expect(endedResults(result.stdout).map((item) => item.status)).toEqual(["verified"]);
        expect(last.output()).toContain("swegate-demo__calculator-1 (run put-back): verified");
        expect(server.seen).toHaveLength(3);
      } finally {
        await server.close();
      }
    }, 400_000);

    it("--rpm spaces the model calls of every worker together: two workers, 30 a minute, one call every two seconds", async () => {
      const arrivals: number[] = [];
      const server = await serveJson((_seen, response) => {
        arrivals.push(Date.now());
        answerJson(response, 200, chatCompletion("no edits"));
      });
      try {
        const queue = redis.url(5);
        const pool = [startWorker(queue), startWorker(queue)];
        await waitFor("both workers", () =>
          pool.every((worker) => worker.output().includes("waiting for instances")),
        );
        const result = await runCliAsync(
          [
            "run",
            "--model",
            "openai-compatible:fake",
            "--base-url",
            `${server.origin}/v1`,
            "--instances",
            "swegate-demo__calculator-1,swegate-demo__calculator-2,swegate-demo__textutils-1",
            "--max-attempts",
            "1",
            "--rpm",
            "30",
            "--queue",
            queue,
            "--json",
            "--store",
            join(scratch, "rpm"),
            "--cache-dir",
            cacheDir,
          ],
          { env },
        );
        expect(result.code, result.stderr).toBe(0);
        expect(endedResults(result.stdout).map((item) => item.status)).toEqual([
          "failed",
          "failed",
          "failed",
        ]);
        expect(arrivals).toHaveLength(3);
        const gaps = arrivals.slice(1).map((time, index) => time - (arrivals[index] as number));
        // Slots are two seconds apart, but a call reaches the provider after its slot by as much as
        // its worker (on a loaded machine) takes to send it, so only loose bounds hold here; the
        // spacing itself is checked without workers in fleet-rate-limit.test.ts.
        for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(500);
        expect((arrivals[2] as number) - (arrivals[0] as number)).toBeGreaterThanOrEqual(2000);
      } finally {
        await server.close();
      }
    }, 400_000);

    it("Redis restarted with its append-only file on: the jobs survive and the waiting coordinator still gets every result", async () => {
      const dir = mkdtempSync(join(scratch, "persistent-"));
      let persistent = await startRedis(dir, { appendOnly: true });
      const queue = persistent.url(0);
      const waiting = async () => {
        const connection = new Redis(queue, { maxRetriesPerRequest: null });
        const jobs = new Queue(QUEUE_NAME, { connection });
        const counts = await jobs.getJobCounts("waiting");
        await jobs.close();
        connection.disconnect();
        return counts.waiting;
      };
      try {
        const coordinator = runCliAsync(
          [
            "run",
            "--model",
            "oracle",
            "--queue",
            queue,
            "--json",
            "--store",
            join(scratch, "restarted"),
            "--cache-dir",
            cacheDir,
          ],
          { env },
        );
        await waitFor("five waiting jobs", async () => (await waiting()) === 5);
        await persistent.stop();
        persistent = await startRedis(dir, { port: persistent.port, appendOnly: true });
        expect(await waiting()).toBe(5);
        startWorker(queue);
        const result = await coordinator;
        expect(result.code, result.stderr).toBe(0);
        expect(endedResults(result.stdout)).toHaveLength(5);
      } finally {
        await stopWorkers();
        await persistent.stop();
      }
    }, 400_000);

    it("the coordinator needs no API key; a job no worker can run (no key there) is tried three times, then recorded as infra_error with the worker's reason", async () => {
      const queue = redis.url(6);
      const worker = startWorker(queue);
      const result = await runCliAsync(
        [
          "run",
          "--model",
          "anthropic:claude-haiku-4-5",
          "--instances",
          "swegate-demo__calculator-1",
          "--run-id",
          "no-key",
          "--queue",
          queue,
          "--json",
          "--store",
          join(scratch, "no-key"),
          "--cache-dir",
          cacheDir,
        ],
        { env },
      );
      expect(result.code, result.stderr).toBe(0);
      const [outcome] = endedResults(result.stdout);
      expect(outcome).toMatchObject({ status: "infra_error", reason: "no worker could run this instance" });
      expect(outcome?.error).toMatch(
        /worker .*-\d+: --model anthropic:…: no API key for anthropic: ANTHROPIC_API_KEY is not set/,
      );
      expect(worker.output().match(/cannot run swegate-demo__calculator-1/g)).toHaveLength(3);
      const store = openStore(join(scratch, "no-key"));
      expect(store.getRun("no-key")?.model).toBe("anthropic:claude-haiku-4-5");
      store.close();
    }, 400_000);

    it("with --max-cost-usd, a queued run keeps --workers instances on the queue and enqueues no more once the budget is spent", async () => {
      // Every call costs $1: a million prompt tokens at $1 per million (the worker prices it, with the same table).
      const server = await serveJson((_seen, response) =>
        answerJson(response, 200, chatCompletion("no edits", { prompt: 1_000_000, completion: 0 })),
      );
      const prices = join(scratch, "prices.json");
      writeFileSync(
        prices,
        JSON.stringify({
          "openai-compatible:costly": { input: 1, output: 0, cache_read: 0, cache_write: 0 },
        }),
      );
      const queue = redis.url(7);
      const connection = new Redis(queue, { maxRetriesPerRequest: null });
      const jobs = new Queue(QUEUE_NAME, { connection });
      try {
        startWorker(queue, 3, ["--prices", prices]);
        const result = await runCliAsync(
          [
            "run",
            "--model",
            "openai-compatible:costly",
            "--base-url",
            `${server.origin}/v1`,
            "--prices",
            prices,
            "--max-cost-usd",
            "1.5",
            "--max-attempts",
            "1",
            "--instances",
            "swegate-demo__calculator-1,swegate-demo__calculator-2,swegate-demo__textutils-1",
            "--run-id",
            "budget",
            "--workers",
            "1",
            "--queue",
            queue,
            "--json",
            "--store",
            join(scratch, "queued-budget"),
            "--cache-dir",
            cacheDir,
          ],
          { env },
        );
        expect(result.code, result.stderr).toBe(0);
        expect(endedResults(result.stdout).map((outcome) => outcome.cost_usd)).toEqual([1, 1]);
        const store = openStore(join(scratch, "queued-budget"));
        expect(store.getRun("budget")?.status).toBe("budget_exceeded");
        store.close();
        // The third instance was never enqueued.
        expect(await jobs.getJobCounts("completed", "waiting", "active")).toEqual({
          completed: 2,
          waiting: 0,
          active: 0,
        });
      } finally {
        await jobs.close();
        connection.disconnect();
        await server.close();
      }
    }, 400_000);

    it("two coordinators enqueueing the same run add no job twice; a killed coordinator's resume collects what the workers finished", async () => {
      const queue = redis.url(3);
      const coordinator = (store: string, extra: string[] = []) =>
        spawn(
          process.execPath,
          [
            swegateBin,
            "run",
            "--model",
            "oracle",
            "--queue",
            queue,
            "--json",
            "--store",
            join(scratch, store),
            "--cache-dir",
            cacheDir,
            ...extra,
          ],
          { env: { ...process.env, SWEGATE_FROM_SOURCE: "1", ...env }, stdio: "ignore" },
        );
      const connection = new Redis(queue, { maxRetriesPerRequest: null });
      const jobs = new Queue(QUEUE_NAME, { connection });
      try {
        // No worker yet: the first coordinator enqueues the whole run, then dies (kill -9); its jobs
        // stay in Redis. A second coordinator of the same run (its own store) enqueues it all again.
        const first = coordinator("first", ["--run-id", "shared"]);
        const firstExited = new Promise((resolve) => first.once("exit", resolve));
        await waitFor("five waiting jobs", async () => (await jobs.getJobCounts("waiting")).waiting === 5);
        first.kill("SIGKILL");
        await firstExited;
        const second = runCliAsync(
          [
            "run",
            "--model",
            "oracle",
            "--queue",
            queue,
            "--json",
            "--run-id",
            "shared",
            "--store",
            join(scratch, "second"),
            "--cache-dir",
            cacheDir,
          ],
          { env },
        );
        const pool = [startWorker(queue)];
        const secondResult = await second;
        expect(secondResult.code, secondResult.stderr).toBe(0);
        expect(endedResults(secondResult.stdout)).toHaveLength(5);
        const counts = await jobs.getJobCounts("completed", "waiting", "active", "failed");
        expect(counts).toEqual({ completed: 5, waiting: 0, active: 0, failed: 0 });
        // The resume enqueues nothing new: it collects the five finished jobs.
        const resumed = await runCliAsync(
          [
            "run",
            "--resume",
            "shared",
            "--queue",
            queue,
            "--json",
            "--store",
            join(scratch, "first"),
            "--cache-dir",
            cacheDir,
          ],
          { env },
        );
        expect(resumed.code, resumed.stderr).toBe(0);
        expect(verdicts(endedResults(resumed.stdout))).toEqual(verdicts(endedResults(secondResult.stdout)));
        expect(takenLines(pool)).toHaveLength(5);
        const store = openStore(join(scratch, "first"));
        expect(store.getRun("shared")?.status).toBe("completed");
        const certified = store.getInstanceResults("shared").filter((result) => result.certificate);
        store.close();
        expect(certified.map((result) => result.instance_id).sort()).toEqual([
          "swegate-demo__calculator-1",
          "swegate-demo__calculator-2",
          "swegate-demo__textutils-1",
        ]);
        for (const result of certified)
          expect(runCli(["verify", result.certificate as string], { env }).code).toBe(0);
      } finally {
        await jobs.close();
        connection.disconnect();
      }
    }, 400_000);
  },
);
