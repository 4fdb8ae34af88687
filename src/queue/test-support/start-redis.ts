import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { Redis } from "ioredis";

/** Why the queue tests cannot have a Redis server here, or undefined when they can. */
export function redisServerMissing(): string | undefined {
  const probe = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  return probe.status === 0
    ? undefined
    : "redis-server is not installed (Debian: apt-get install redis-server)";
}

/** A free TCP port on 127.0.0.1 (nothing listens there once this returns). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/**
 * A real redis-server of the test's own, on a free loopback port (or `port`, to restart one), its
 * files in `dir`: without persistence, or with the append-only file the README's setup turns on.
 */
export async function startRedis(
  dir: string,
  options: { port?: number; appendOnly?: boolean } = {},
): Promise<{ port: number; url: (db: number) => string; stop: () => Promise<void> }> {
  const port = options.port ?? (await freePort());
  const persistence = options.appendOnly
    ? ["--appendonly", "yes", "--appendfsync", "always"]
    : ["--appendonly", "no"];
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", ...persistence],
    { stdio: "ignore" },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = (db: number) => `redis://127.0.0.1:${port}/${db}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const probe = new Redis(url(0), {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on("error", () => undefined);
    const ready = await probe
      .connect()
      .then(() => probe.ping())
      .then(() => true)
      .catch(() => false);
    probe.disconnect();
    if (ready) break;
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`redis-server did not start on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    port,
    url,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
