import { Redis } from "ioredis";
import { EnvironmentError, UserError } from "../errors.js";

/** The BullMQ queue every run's instance jobs go to (one per Redis database). */
export const QUEUE_NAME = "swegate-instances";

/** How long to wait for Redis to answer when a command starts, milliseconds. */
const CONNECT_TIMEOUT_MS = 5_000;

/** A `--queue` value, checked: `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS). */
export interface QueueAddress {
  /** The URL as given (its password is never printed: see `where`). */
  url: string;
  /** The URL without its password, for messages. */
  shown: string;
}

/** Checks a `--queue` URL's form (no connection yet); a bad one is a one-line error naming the flag. */
export function parseQueueAddress(value: string, flag = "--queue"): QueueAddress {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badAddress(value, flag, "is not a URL");
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:")
    throw badAddress(value, flag, "is not a redis:// URL");
  if (!url.hostname) throw badAddress(value, flag, "names no host");
  const db = url.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d+$/.test(db)) throw badAddress(value, flag, `names database "${db}", not a number`);
  const shown = url.password ? value.replace(`:${url.password}@`, ":***@") : value;
  return { url: value, shown };
}

function badAddress(value: string, flag: string, problem: string): UserError {
  const shown = value.replace(/:[^:@/]*@/, ":***@");
  return new UserError(`${shown} ${problem}`, {
    where: `${flag}=${shown}`,
    hint: "give the Redis server as redis://HOST:PORT/DB, e.g. redis://127.0.0.1:6379/0",
  });
}

/**
 * A connection for BullMQ. Queues and workers retry a lost connection for ever (a Redis restart
 * must not end a night's run), so the first contact is checked separately: see `requireReachable`.
 */
export function openRedis(address: QueueAddress): Redis {
  return new Redis(address.url, {
    maxRetriesPerRequest: null,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(times * 500, 5_000),
  });
}

/** Fails with one line (what, where, what to do) when Redis cannot be reached now. */
export async function requireReachable(address: QueueAddress, flag = "--queue"): Promise<void> {
  const probe = new Redis(address.url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // Errors are reported by connect()/ping() below; without a listener ioredis would print them too.
  probe.on("error", () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new EnvironmentError(`cannot reach Redis at ${address.shown}: ${describe(error)}`, {
      where: `${flag}=${address.shown}`,
      hint: "start redis-server there (with persistence on), or check the host, port, database and password",
    });
  } finally {
    probe.disconnect();
  }
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] || "no answer";
}

/**
 * Says on stderr what goes wrong with the queue's connections (Redis gone for a while, a restart),
 * once per distinct problem: BullMQ's queue and event listeners reconnect by themselves.
 */
export function reportQueueProblems(
  ...emitters: { on(event: "error", listener: (error: Error) => void): unknown }[]
): void {
  let lastProblem = "";
  const sayProblem = (error: Error) => {
    if (error.message === lastProblem) return;
    lastProblem = error.message;
    process.stderr.write(`swegate: queue: ${error.message}\n`);
  };
  for (const emitter of emitters) emitter.on("error", sayProblem);
}
