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
}

export type ModelResponse =
  | {
      ok: true;
      /** The answer's text. */
      text: string;
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
  | {
      ok: false;
      /** `infra`: retries exhausted or network; `refused`: a non-retryable provider error (bad key, bad request). */
      kind: "infra" | "refused";
      message: string;
      /** HTTP status when there was one. */
      status?: number;
      /** Retries made before giving up. */
      retries: number;
      durationMs: number;
    };
