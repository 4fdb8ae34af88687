import { EnvironmentError, UserError } from "../errors.js";
import { registerSecret } from "../exec/scrub-secrets.js";
import { PROVIDERS, type ProviderSettings } from "./provider-registry.js";

/**
 * The one place keys come from: the provider's usual environment variables. Fails with a named
 * EnvironmentError saying which variable to set; an optional key (openai-compatible, and the cloud
 * providers, which fall back to their account credentials) reads as "".
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
    const value = readSecret(environment, variable);
    if (value) return value;
  }
  if (!entry.keyRequired) return "";
  throw new EnvironmentError(`no API key for ${provider}: ${entry.keyVariables.join(" or ")} is not set`, {
    where: `--model ${provider}:…`,
    hint: `export ${entry.keyVariables[0]}=…, or run the offline demo with --model demo`,
  });
}

/** How one provider authenticates, from the environment: the key, and for the clouds region and account. */
export type ProviderAccess = Pick<ProviderSettings, "apiKey" | "region" | "project" | "awsCredentials">;

/**
 * Key, region and account of a provider. Bedrock: `AWS_BEARER_TOKEN_BEDROCK`, else the pair
 * `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` (with `AWS_SESSION_TOKEN`), in `AWS_REGION`.
 * Vertex: `GOOGLE_VERTEX_API_KEY` (express mode), else application default credentials for
 * `GOOGLE_VERTEX_PROJECT` in `GOOGLE_VERTEX_LOCATION` (default `global`). Fails with a named error.
 */
export function readProviderAccess(
  provider: string,
  environment: NodeJS.ProcessEnv = process.env,
): ProviderAccess {
  const apiKey = readApiKey(provider, environment);
  const first = (...names: string[]) =>
    names.map((name) => environment[name]?.trim()).find((value) => value) ?? undefined;
  if (provider === "bedrock") {
    const region = first("AWS_REGION", "AWS_DEFAULT_REGION");
    if (!region)
      throw new EnvironmentError("no AWS region for bedrock: AWS_REGION is not set", {
        where: "--model bedrock:…",
        hint: "export AWS_REGION=us-east-1 (the region where the model is enabled)",
      });
    if (apiKey) return { apiKey, region };
    const accessKeyId = first("AWS_ACCESS_KEY_ID");
    const secretAccessKey = readSecret(environment, "AWS_SECRET_ACCESS_KEY");
    if (!accessKeyId || !secretAccessKey)
      throw new EnvironmentError(
        "no AWS credentials for bedrock: AWS_BEARER_TOKEN_BEDROCK, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, is not set",
        { where: "--model bedrock:…", hint: "export a Bedrock API key as AWS_BEARER_TOKEN_BEDROCK" },
      );
    const sessionToken = readSecret(environment, "AWS_SESSION_TOKEN");
    return {
      apiKey: "",
      region,
      awsCredentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
    };
  }
  if (provider === "vertex") {
    const region = first("GOOGLE_VERTEX_LOCATION", "GOOGLE_CLOUD_LOCATION") ?? "global";
    if (apiKey) return { apiKey, region };
    const project = first("GOOGLE_VERTEX_PROJECT", "GOOGLE_CLOUD_PROJECT");
    if (!project)
      throw new EnvironmentError(
        "no Vertex access: GOOGLE_VERTEX_API_KEY, or GOOGLE_VERTEX_PROJECT with application default credentials, is not set",
        {
          where: "--model vertex:…",
          hint: "export GOOGLE_VERTEX_PROJECT=… after `gcloud auth application-default login`",
        },
      );
    return { apiKey: "", region, project };
  }
  return { apiKey };
}

/** A variable's trimmed value, registered for redaction; undefined when unset. */
function readSecret(environment: NodeJS.ProcessEnv, variable: string): string | undefined {
  const value = environment[variable]?.trim();
  if (!value) return undefined;
  registerSecret(variable, value);
  return value;
}
