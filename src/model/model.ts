import type { RetryFailure } from "./with-retries.js";

/**
 * The seam between the agent loop and any language model (or scripted stand-in).
 * Providers translate their wire format into these shapes; the raw response is kept.
 */
export interface Model {
  /** `provider:model-id` as given on the command line, e.g. `anthropic:claude-haiku-4-5`. */
  readonly id: string;
  /** How to show the model to people when the id alone could mislead (e.g. the demo's); absent: the id. */
  readonly label?: string;
  /** True for stand-ins that are not language models (`oracle`, `demo`, `replay`). */
  readonly scripted: boolean;
  /** Sends a conversation; resolves to a value even for provider failures. */
  complete(request: ModelRequest): Promise<ModelResponse>;
}

export interface ModelMessage {
  role: "user" | "assistant";
  /** Text of the message (may be empty beside tool calls or tool results). */
  content: string;
  /** Assistant only: the tools it asked to run, in order. */
  toolCalls?: ToolCall[];
  /** User only: the answers to the previous assistant message's tool calls (sent before `content`). */
  toolResults?: ToolResult[];
}

/** A tool the model may call: name, what it does, JSON Schema (`type: "object"`) of its arguments. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** One tool call the model asked for. */
export interface ToolCall {
  /** The provider's id for the call (made up when the provider gives none), echoed with the result. */
  id: string;
  name: string;
  /** Parsed arguments; the raw string when the provider sent JSON that does not parse. */
  arguments: unknown;
  /** Provider fields that must go back with the call (Gemini's `thoughtSignature`). */
  providerData?: Record<string, unknown>;
}

/** A tool's answer to one call. */
export interface ToolResult {
  /** The call's id. */
  callId: string;
  /** The tool's name (Gemini matches results by name). */
  name: string;
  content: string;
}

export interface ModelRequest {
  /** System prompt. */
  system: string;
  /** Conversation so far, oldest first, ending with a user message. */
  messages: ModelMessage[];
  /** Upper bound on output tokens. */
  maxOutputTokens?: number;
  /** Sampling temperature (provider default when absent). */
  temperature?: number;
  /** Tools the model may call instead of answering (providers with tool calls; scripted models ignore them). */
  tools?: ToolSpec[];
  /**
   * `none`: the tools stay declared (the conversation holds earlier calls, which providers only
   * accept beside their declarations) but the model must answer in text: a tool loop's last round.
   */
  toolChoice?: "auto" | "none";
  /** Scripted models use this to know which instance they answer for. */
  instanceId?: string;
  /**
   * A file's current text in the workspace (repository-relative path), or undefined when absent.
   * Only the oracle uses it, to rewrite the gold patch as SEARCH/REPLACE blocks that match exactly.
   */
  readFile?: (path: string) => string | undefined;
  /** Aborts the call (run cancelled). */
  signal?: AbortSignal;
}

export interface Usage {
  /** Input tokens not read from or written to a cache. */
  inputTokens: number;
  /** Output tokens. */
  outputTokens: number;
  /** Input tokens read from the provider's prompt cache. */
  cacheReadTokens: number;
  /** Input tokens written to the provider's prompt cache. */
  cacheWriteTokens: number;
  /** Of `outputTokens`, those spent thinking (reasoning models; priced as output), when the provider says. */
  reasoningTokens?: number;
}

export type ModelResponse =
  | {
      ok: true;
      /** The answer's text. */
      text: string;
      /** Tools the model asked to run before it answers (absent or empty: this is its answer). */
      toolCalls?: ToolCall[];
      usage: Usage;
      /** Cost in US dollars, or null when the price of the model is unknown. */
      costUsd: number | null;
      /** Wall time of the call including retries, milliseconds. */
      durationMs: number;
      /** Provider's stop reason as given. */
      stopReason: string;
      /** The provider's response body as received, for transcripts. */
      raw: unknown;
    }
  | (RetryFailure & {
      /** Wall time of the call including retries, milliseconds. */
      durationMs: number;
    });
