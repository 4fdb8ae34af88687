import { LOCALIZE_MODES, type LocalizeMode } from "../agent/localize-with-model.js";
import { UserError } from "../errors.js";

export const LOCALIZE_HELP =
  "how the code shown on attempt 1 is chosen: retrieval (the issue's evidence, no call) or model (one call first names the files and definitions shown first)";

/** Scripted stand-ins answer with edits from a script, not with locations. */
function isScripted(modelSpec: string | undefined): boolean {
  return modelSpec === "demo" || modelSpec === "oracle" || modelSpec?.startsWith("replay:") === true;
}

/**
 * `--localize` checked: retrieval or model, and model only with a language model to ask (one that
 * is not scripted). `queued`: the workers call the model, and they do not take this step.
 */
export function parseLocalize(
  value: string | undefined,
  modelSpec: string | undefined,
  queued = false,
): LocalizeMode {
  const mode = value ?? "retrieval";
  if (!LOCALIZE_MODES.includes(mode as LocalizeMode))
    throw new UserError("must be retrieval or model", { where: `--localize=${mode}` });
  if (mode === "retrieval") return "retrieval";
  if (!modelSpec)
    throw new UserError("needs a model to ask", {
      where: "--localize=model",
      hint: "give --model, e.g. --model anthropic:claude-haiku-4-5",
    });
  if (isScripted(modelSpec))
    throw new UserError(`${modelSpec} is scripted and cannot locate code`, {
      where: "--localize=model",
      hint: "use a provider's model, or --localize retrieval",
    });
  if (queued)
    throw new UserError("is not taken by queue workers", {
      where: "--localize=model --queue",
      hint: "run without --queue, or with --localize retrieval",
    });
  return "model";
}
