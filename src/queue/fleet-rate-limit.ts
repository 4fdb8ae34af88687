import type { Redis } from "ioredis";
import type { Model } from "../model/model.js";
import { sleepUnlessAborted } from "../model/with-retries.js";

/**
 * Takes the next free call slot of a model, fleet-wide: the slot after the last one taken, or now
 * when that has passed; the key then holds the slot after it. Returns how long to wait for it (ms).
 * Redis's own clock is used, so machines with skewed clocks still share one schedule.
 */
const TAKE_SLOT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
redis.call('SET', KEYS[1], slot + tonumber(ARGV[1]), 'PX', 3600000)
return slot - now
`;

/**
 * The model with its calls spaced evenly so that every worker on the queue together makes at most
 * `rpm` calls a minute (`run --rpm`): a provider's quota holds however many machines call it. A call
 * waits for its slot before it is sent; the provider layer still retries a 429 as it always does.
 */
export function limitFleetRate(model: Model, redis: Redis, rpm: number): Model {
  const spacing = Math.ceil(60_000 / rpm);
  const key = `swegate:rpm:${model.id}`;
  return {
    id: model.id,
    ...(model.label === undefined ? {} : { label: model.label }),
    scripted: model.scripted,
    complete: async (request) => {
      const wait = Number(await redis.eval(TAKE_SLOT, 1, key, String(spacing)));
      // Cut short by an abort, the call below fails as an aborted call does.
      if (wait > 0) await sleepUnlessAborted(wait, request.signal);
      return model.complete(request);
    },
  };
}
