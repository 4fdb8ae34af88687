import type { Model, ModelMessage, ModelRequest, ModelResponse, Usage } from "../model/model.js";
import { addUsage, ZERO_USAGE } from "./attempt-record.js";
import { READ_ONLY_TOOLS, runReadOnlyTool } from "./read-only-tools.js";

/** Tool rounds allowed before the model must answer, per attempt. */
export const MAX_TOOL_ROUNDS = 10;

/** One model turn and what it cost. */
export interface Turn {
  /** The last response: the answer, or the failure that ended the turn. */
  response: ModelResponse;
  /** Usage of every call of the turn. */
  usage: Usage;
  /** Cost of every call of the turn; null when a price was unknown. */
  costUsd: number | null;
  /** The tool calls made, in order. */
  toolCalls: { name: string; arguments: unknown }[];
}

/**
 * Asks the model for its answer. With `tools`, the read-only tools are offered: each round's calls
 * run against the checkout and go back with their results, until the model answers without calling
 * one or `MAX_TOOL_ROUNDS` rounds are used (the last results say so, and whatever comes next is the
 * answer). Calls and results are appended to `messages`, so later attempts keep what was read.
 */
export async function converse(options: {
  model: Model;
  messages: ModelMessage[];
  request: Omit<ModelRequest, "messages" | "tools">;
  tools?: { dir: string; files: readonly string[] };
  onCall?: (response: ModelResponse) => void;
}): Promise<Turn> {
  const { messages, tools } = options;
  let usage = ZERO_USAGE;
  let costUsd: number | null = 0;
  const toolCalls: Turn["toolCalls"] = [];
  for (let round = 0; ; round++) {
    const response = await options.model.complete({
      ...options.request,
      messages,
      ...(tools
        ? { tools: READ_ONLY_TOOLS, ...(round === MAX_TOOL_ROUNDS ? { toolChoice: "none" as const } : {}) }
        : {}),
    });
    options.onCall?.(response);
    if (!response.ok) return { response, usage, costUsd, toolCalls };
    usage = addUsage(usage, response.usage);
    costUsd = costUsd === null || response.costUsd === null ? null : costUsd + response.costUsd;
    const calls = response.toolCalls ?? [];
    if (!tools || calls.length === 0 || round === MAX_TOOL_ROUNDS)
      return { response, usage, costUsd, toolCalls };
    messages.push({ role: "assistant", content: response.text, toolCalls: calls });
    const results = await Promise.all(
      calls.map(async (call) => ({
        callId: call.id,
        name: call.name,
        content: await runReadOnlyTool(call, tools),
      })),
    );
    toolCalls.push(...calls.map((call) => ({ name: call.name, arguments: call.arguments })));
    messages.push({
      role: "user",
      content:
        round + 1 === MAX_TOOL_ROUNDS
          ? "That was the last tool round: answer now with your SEARCH/REPLACE blocks."
          : "",
      toolResults: results,
    });
  }
}
