import {
  buildContext,
  type Context,
  type ContextOptions,
  DEFAULT_CONTEXT_TOKEN_BUDGET,
} from "./build-context.js";
import { renderTaskMessage } from "./prompts.js";

/** What attempt 1 sends: the context and the first user message rendered from it. */
export interface FirstMessage {
  /** The located code and the issue. */
  context: Context;
  /** The first user message, exactly as the model receives it. */
  message: string;
}

/**
 * The first message of an attempt loop, from a checkout at base_commit. `swegate context` calls this
 * to show what `run` shows; the budget defaults to the one `run` uses.
 */
export async function prepareFirstMessage(
  options: Omit<ContextOptions, "tokenBudget"> & { tokenBudget?: number },
): Promise<FirstMessage> {
  const context = await buildContext({
    ...options,
    tokenBudget: options.tokenBudget ?? DEFAULT_CONTEXT_TOKEN_BUDGET,
  });
  return { context, message: renderTaskMessage(context) };
}
