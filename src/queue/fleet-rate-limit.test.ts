import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireSandbox } from "../exec/test-support/require-sandbox.js";
import type { Model, ModelRequest } from "../model/model.js";
import { limitFleetRate } from "./fleet-rate-limit.js";
import { redisServerMissing, startRedis } from "./test-support/start-redis.js";

const skip = requireSandbox("the fleet rate limit test (a real redis-server)", redisServerMissing());

describe.skipIf(skip)("limitFleetRate (real redis-server)", () => {
  const scratch = mkdtempSync(join(tmpdir(), "swegate-rpm-"));
  let redis: Awaited<ReturnType<typeof startRedis>>;
  const clients: Redis[] = [];
  beforeAll(async () => {
    redis = await startRedis(scratch);
  }, 60_000);
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await redis?.stop();
    await rm(scratch, { recursive: true, force: true });
  }, 60_000);

  it("gives calls from separate connections (two machines) slots one spacing apart, in order, on Redis's clock", async () => {
    // Each call is released only when its slot comes; recording the order and the moment each
    // model call starts shows the spacing without depending on how fast anything else runs.
    const started: number[] = [];
    const inner: Model = {
      id: "openai-compatible:fake",
      scripted: false,
      complete: async () => {
        started.push(Date.now());
        return {
          ok: true,
          text: "",
          usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
          costUsd: 0,
          raw: null,
        } as Awaited<ReturnType<Model["complete"]>>;
      },
    };
    const machines = [new Redis(redis.url(0)), new Redis(redis.url(0))];
    clients.push(...machines);
    // 120 a minute: one call every 500 ms, whichever machine makes it.
    const limited = machines.map((client) => limitFleetRate(inner, client, 120));
    const request = {} as ModelRequest;
    const begun = Date.now();
    await Promise.all([0, 1, 2, 3].map((index) => limited[index % 2]?.complete(request)));
    expect(started).toHaveLength(4);
    // Slots 500 ms apart from the first, handed out after `begun`: the k-th call cannot start before
    // begun + 500·k (a call may start later than its slot on a busy machine, never earlier). Without
    // the limit all four would start at once.
    for (const [index, time] of started.entries())
      expect(time - begun).toBeGreaterThanOrEqual(500 * index - 20);
  });
});
