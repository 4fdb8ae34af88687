import { EnvironmentError, UserError } from "../errors.js";
import { registerSecret } from "../exec/scrub-secrets.js";
import { PROVIDERS } from "./provider-registry.js";

/**
 * The one place keys come from: the provider's usual environment variables. Fails with a named
 * EnvironmentError saying which variable to set; an optional key (openai-compatible) reads as "".
 * A key read here is redacted from every command output from then on (scrub-secrets.ts), whatever
 * its variable is called: a test that finds it must not get it into a log or back to the model.
 */
export function readApiKey(provider: string, environment: NodeJS.ProcessEnv = process.env): string {
  const entry = PROVIDERS[provider];
  if (!entry) {
    throw new UserError(`unknown provider ${JSON.stringify(provider)}`, {
      hint: `use one of ${Object.keys(PROVIDERS).join(", ")}`,
    });
  }
  for (const variable of entry.keyVariables) {
    const value = environment[variable]?.trim();
    if (value) {
      registerSecret(variable, value);
      return value;
    }
  }
  if (!entry.keyRequired) return "";
  throw new EnvironmentError(`no API key for ${provider}: ${entry.keyVariables.join(" or ")} is not set`, {
    where: `--model ${provider}:…`,
    hint: `export ${entry.keyVariables[0]}=…, or run the offline demo with --model demo`,
  });
}
