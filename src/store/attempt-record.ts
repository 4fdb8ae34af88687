/**
 * Why an attempt did not produce a verified fix (closed set). `test_machinery`: the patch changed
 * files that decide how tests run or are reported, refused before any test ran; `suspicious`: the
 * patch tampers with the test run, or the evidence does not back the log's passes.
 */
export type FailureClass =
  | "format_error"
  | "edit_not_applied"
  | "tests_failed"
  | "regression"
  | "test_machinery"
  | "suspicious"
  | "infra";

/** Every failure class, in the order above: the store's CHECK constraint and row parser use it. */
export const FAILURE_CLASSES = [
  "format_error",
  "edit_not_applied",
  "tests_failed",
  "regression",
  "test_machinery",
  "suspicious",
  "infra",
] as const satisfies readonly FailureClass[];

/**
 * Tokens of model calls as the store keeps them. The same fields as the model layer's `Usage`,
 * declared here so the store need not import a layer above it; the attempt loop's assignment of a
 * `Usage` to it is what keeps the two in step.
 */
export interface TokenUsage {
  /** Input tokens not read from or written to a cache. */
  inputTokens: number;
  /** Output tokens. */
  outputTokens: number;
  /** Input tokens read from the provider's prompt cache. */
  cacheReadTokens: number;
  /** Input tokens written to the provider's prompt cache. */
  cacheWriteTokens: number;
  /** Of `outputTokens`, those spent thinking, when the provider says. */
  reasoningTokens?: number;
}

/** Everything that happened in one attempt: what the model saw and said, and what came of it. */
export interface AttemptRecord {
  /** 1-based attempt number. */
  attempt_number: number;
  /** Size of the prompt sent (estimated tokens, whole conversation). */
  prompt_tokens_estimate: number;
  /** The model's raw answer ("" when the call failed). */
  raw_answer: string;
  /** Parsed edits as `path: kind` lines, for display. */
  parsed_edits: string[];
  /** Edit application: which blocks applied and which failed, as text. */
  apply_result: string;
  /** The check's one-line summary (green gate in oracle mode, visible checks in blind mode). */
  check_result: string;
  /** Whether the check passed. */
  passed: boolean;
  /** Why it failed; null when it passed. */
  failure_class: FailureClass | null;
  /** Feedback sent to the model for the next attempt ("" for the last one). */
  feedback: string;
  /** The workspace's change after this attempt, as a unified diff. */
  patch: string;
  /** Token usage of the attempt's model calls (tool rounds included). */
  usage: TokenUsage;
  /** Cost in USD of the attempt's model calls; null when a price is unknown. */
  cost_usd: number | null;
  /** Wall time of the whole attempt, milliseconds. */
  duration_ms: number;
  /** Check details (e.g. the green gate result) for the store; shape depends on the check. */
  check_details?: unknown;
  /** Read-only tool calls the model made before answering, in order (absent when none). */
  tool_calls?: { name: string; arguments: unknown }[];
  /**
   * Attempt 1 only, with `--localize model`: the model step before it (its call's usage and cost are
   * in this attempt's): the files and `path::qualname` definitions it chose, the lines of its answer
   * ignored, and `error` when the call failed and retrieval alone chose the files.
   */
  localization?: {
    /** The model asked. */
    model: string;
    /** The call answered (false: a provider failure, and retrieval alone chose the files). */
    ok: boolean;
    /** Files the answer named that exist, in its order. */
    files: string[];
    /** Definitions (`path::qualname`) it named that exist. */
    definitions: string[];
    /** Lines of the answer that named no file or definition of the checkout (or more files than allowed). */
    ignored: string[];
    /** Why the call failed; absent when it answered. */
    error?: string;
  };
}
