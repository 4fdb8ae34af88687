import type { Instance } from "../dataset/instance.js";
import { UserError } from "../errors.js";
import { createDemoModel } from "./create-demo-model.js";
import { createOracleModel } from "./create-oracle-model.js";
import { createProviderModel } from "./create-provider-model.js";
import { createReplayModel } from "./create-replay-model.js";
import { getProviderLimiter } from "./get-provider-limiter.js";
import type { Model } from "./model.js";
import { findOutputLimit, loadPriceTable, type PriceTable } from "./price-table.js";
import { PROVIDERS } from "./provider-registry.js";
import { readProviderAccess } from "./read-api-key.js";

/** One options object for every model; defaults live here. */
export interface ModelSettings {
  /** Provider endpoint (default: the *_BASE_URL variable, else the provider's public API). */
  baseUrl?: string;
  /** Key (default: the provider's usual environment variable, see readApiKey). */
  apiKey?: string;
  /** Environment the key, region and account are read from (default: the process's). */
  environment?: NodeJS.ProcessEnv;
  /** Retries after the first try (default 6). */
  maxRetries?: number;
  /** Per-request timeout, milliseconds (default 600000). */
  timeoutMs?: number;
  /** Longest wait between retries, milliseconds (default 60000). */
  maxDelayMs?: number;
  /** Calls in flight per provider, shared by all its models in this process (default 8). */
  concurrency?: number;
  /** Prices for cost (default: the shipped table); a model without a price costs `null`. */
  prices?: PriceTable;
  /** Instances by id, for the scripted models (oracle, demo). */
  instances?: ReadonlyMap<string, Instance>;
  /** Injectable wait so retry tests need not wait for real (default: real timers). */
  sleep?: (milliseconds: number) => Promise<void>;
  /** Output token limit per call when the request sets none. */
  maxOutputTokens?: number;
}

const SPEC_HINT =
  "use anthropic:MODEL, google:MODEL, openai:MODEL, openai-compatible:MODEL (with --base-url), bedrock:MODEL, vertex:MODEL, oracle, demo or replay:FILE";

/**
 * The one registry of models, chosen by `provider:model-id`: `anthropic:`, `google:`, `openai:`,
 * `openai-compatible:` (needs a base URL), `bedrock:` and `vertex:` (the clouds), and the scripted
 * stand-ins `oracle`, `demo`, `replay:PATH`.
 */
export function createModel(spec: string, settings: ModelSettings = {}): Model {
  if (spec === "oracle") return createOracleModel(settings.instances ?? new Map());
  if (spec === "demo") return createDemoModel(settings.instances ?? new Map());
  if (spec.startsWith("replay:")) return createReplayModel(spec.slice("replay:".length));
  const separator = spec.indexOf(":");
  const provider = spec.slice(0, Math.max(0, separator));
  const modelName = spec.slice(separator + 1);
  const entry = PROVIDERS[provider];
  if (separator < 1 || !entry || !modelName) {
    throw new UserError(`unknown model ${JSON.stringify(spec)}`, {
      where: `--model ${spec}`,
      hint: SPEC_HINT,
    });
  }
  const environment = settings.environment ?? process.env;
  const baseUrl = settings.baseUrl ?? environment[entry.baseVariable] ?? entry.defaultBaseUrl;
  if (!baseUrl && !entry.derivesBaseUrl) {
    throw new UserError(`${provider} needs a base URL`, {
      where: `--model ${spec}`,
      hint: `give --base-url (e.g. http://127.0.0.1:8000/v1) or set ${entry.baseVariable}`,
    });
  }
  const access =
    settings.apiKey === undefined || entry.derivesBaseUrl
      ? readProviderAccess(provider, {
          ...environment,
          ...(settings.apiKey === undefined ? {} : { [entry.keyVariables[0] as string]: settings.apiKey }),
        })
      : { apiKey: settings.apiKey };
  const prices = settings.prices ?? loadPriceTable();
  return createProviderModel({
    id: spec,
    provider: entry,
    settings: { modelName, baseUrl, ...access },
    limiter: getProviderLimiter(provider, settings.concurrency),
    prices,
    maxRetries: settings.maxRetries ?? 6,
    timeoutMs: settings.timeoutMs ?? 600_000,
    maxDelayMs: settings.maxDelayMs,
    maxOutputTokens: settings.maxOutputTokens,
    outputLimit: findOutputLimit(prices, spec),
    sleep: settings.sleep,
  });
}
