import { EnvironmentError } from "../errors.js";
import { PROVIDERS } from "../model/provider-registry.js";
import type { RetryFailure } from "../model/with-retries.js";

/**
 * The one line for a key the provider refused (exit 3): which provider, its status and own words,
 * the variable the key came from, and the command that finishes the run once the key is fixed.
 */
export function refusedKeyError(modelSpec: string, failure: RetryFailure, finish: string): EnvironmentError {
  const provider = modelSpec.slice(0, Math.max(0, modelSpec.indexOf(":")));
  const variables = PROVIDERS[provider]?.keyVariables ?? [];
  const status = failure.status === undefined ? "" : `${failure.status} `;
  const said = failure.message.replace(/\s+/g, " ").trim();
  return new EnvironmentError(
    `${provider} refused the API key (${status}${said}): check ${variables.join(" or ") || "the key"}`,
    { hint: `then finish the run with: ${finish}` },
  );
}
