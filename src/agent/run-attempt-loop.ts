import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Reproduction, ScriptRunner } from "../context/reproduce-issue.js";
import type { Instance } from "../dataset/instance.js";
import { applyEdits } from "../edits/apply-edits.js";
import { describeEditResult } from "../edits/describe-edit-failures.js";
import { parseEdits } from "../edits/parse-edits.js";
import type { Model, ModelMessage, Usage } from "../model/model.js";
import type { AttemptRecord, FailureClass } from "../store/attempt-record.js";
import { applyPatch, resetToBase } from "../workspace/apply-patch.js";
import { diffWorkspace } from "../workspace/diff-workspace.js";
import type { AgentEventListener } from "./agent-events.js";
import { addUsage, ZERO_USAGE } from "./attempt-record.js";
import { buildContext, estimateTokens, listTrackedFiles } from "./build-context.js";
import { converse } from "./converse.js";
import { DEFAULT_CONTEXT_TOKEN_BUDGET } from "./default-context-tokens.js";
import type { LocalizeMode } from "./localize-with-model.js";
import { renderFeedbackMessage, renderTaskMessage, SYSTEM_PROMPT, TOOLS_PROMPT } from "./prompts.js";

/** Which signals feed back into the next attempt (ARCHITECTURE.md, "feedback mode"). */
export type FeedbackMode = "oracle" | "blind";

/** What a check of a candidate patch found. Oracle: the green gate; blind: visible checks. */
export interface CheckOutcome {
  /** The candidate passed every check. */
  passed: boolean;
  /** Why it failed (`tests_failed`, `regression`, `infra`); absent when passed. */
  failureClass?: Extract<
    FailureClass,
    "tests_failed" | "regression" | "test_machinery" | "suspicious" | "infra"
  >;
  /** Text for the model: failing tests, trimmed tracebacks. */
  feedback: string;
  /** One line for people. */
  summary: string;
  /** Raw result (e.g. the green gate) for the store. */
  details?: unknown;
}

/** Checks the workspace holding a candidate patch; may change the workspace (the loop resets it). */
export type Checker = (input: { dir: string; patch: string; attemptNumber: number }) => Promise<CheckOutcome>;

export interface AttemptLoopOptions {
  instance: Instance;
  model: Model;
  /** Workspace folder at base_commit. */
  dir: string;
  /** Most attempts (default 6). */
  maxAttempts: number;
  mode: FeedbackMode;
  check: Checker;
  /** Tokens allowed for file contents in the first message (default `DEFAULT_CONTEXT_TOKEN_BUDGET`). */
  contextTokenBudget?: number;
  /** Show hints_text to the model. */
  includeHints?: boolean;
  /** Offer the read-only tools (view_file, search_code, list_folder) to models that call tools. */
  tools?: boolean;
  /** `model`: one call before attempt 1 chooses the files shown first (skipped for scripted models); default `retrieval`. */
  localize?: LocalizeMode;
  /** Runs the code in the instance's environment for a traceback to locate with; absent: nothing is run. */
  reproduce?: ScriptRunner;
  onEvent?: AgentEventListener;
  signal?: AbortSignal;
}

export interface AttemptLoopResult {
  /** The last check passed. */
  passed: boolean;
  /** The patch of the passing attempt, else of the last attempt that changed anything. */
  patch: string;
  attempts: AttemptRecord[];
  /** Feedback texts sent to the model, in order. */
  feedback_history: string[];
  /** Why the loop stopped (`auth`: the provider refused the key, which ends the whole run). */
  stop_reason: "passed" | "max_attempts" | "infra" | "refused" | "auth" | "aborted";
  /** Error text for infra/refused stops. */
  error: string | null;
  usage: Usage;
  /** Total cost in USD, null when any call's price was unknown. */
  cost_usd: number | null;
  /** What running the code showed before attempt 1, when it was run. */
  reproduction?: Reproduction;
}

/**
 * The attempt loop: context → model → edits → apply → check → feedback, at most `maxAttempts`
 * times. Each attempt starts from a clean workspace at base with the conversation so far; blocks
 * that applied in an attempt that failed only because other blocks did not match are carried into
 * the next attempt, so the model is asked to resend only the failed ones. Never sleeps or retries
 * model calls itself: the provider layer owns retries (ARCHITECTURE.md, "The seams").
 */
export async function runAttemptLoop(options: AttemptLoopOptions): Promise<AttemptLoopResult> {
  const { instance, dir, onEvent } = options;
  // From base, before anything is read: the red gate leaves test_patch (the hidden tests) applied.
  await resetToBase(dir, instance.base_commit);
  // One file list for the context and the tools: the checkout's, as of base_commit.
  const files = await listTrackedFiles(dir);
  const context = await buildContext({
    instance,
    dir,
    files,
    tokenBudget: options.contextTokenBudget ?? DEFAULT_CONTEXT_TOKEN_BUDGET,
    includeHints: options.includeHints,
    ...(options.reproduce ? { reproduce: options.reproduce } : {}),
    // Scripted stand-ins answer with edits, not with locations: the step is theirs to skip.
    ...(options.localize === "model" && !options.model.scripted
      ? { localize: { model: options.model, signal: options.signal } }
      : {}),
  });
  if (context.localizeCost)
    onEvent?.({
      type: "model-call-end",
      instanceId: instance.instance_id,
      attemptNumber: 1,
      ok: context.localization?.ok === true,
      costUsd: context.localizeCost.costUsd,
    });
  const messages: ModelMessage[] = [{ role: "user", content: renderTaskMessage(context) }];
  const system = options.tools ? `${SYSTEM_PROMPT}\n\n${TOOLS_PROMPT}` : SYSTEM_PROMPT;
  // The tools read the checkout as the model's edits find it, limited to the files of base_commit.
  const toolContext = options.tools ? { dir, files } : undefined;
  const conversation: Conversation = { options, messages, system, toolContext };
  const attempts: AttemptRecord[] = [];
  const feedbackHistory: string[] = [];
  let usage = ZERO_USAGE;
  let cost: number | null = 0;
  let bestPatch = "";
  // What one attempt hands to the next: the blocks that applied, and its feedback, sent at the start
  // of the next one once it is known whether those blocks still apply.
  let carry: Carry = { patch: "", feedback: undefined };
  const finish = (
    stopReason: AttemptLoopResult["stop_reason"],
    passed: boolean,
    error: string | null,
  ): AttemptLoopResult => ({
    passed,
    patch: bestPatch,
    attempts,
    feedback_history: feedbackHistory,
    stop_reason: stopReason,
    error,
    usage,
    cost_usd: cost,
    ...(context.reproduction ? { reproduction: context.reproduction } : {}),
  });

  for (let attemptNumber = 1; attemptNumber <= options.maxAttempts; attemptNumber++) {
    if (options.signal?.aborted) return finish("aborted", false, "run cancelled");
    const { record, stop, carriedPatch } = await runAttempt(conversation, attemptNumber, carry);
    // The model step before attempt 1 is charged to it, and recorded with it.
    if (attemptNumber === 1 && context.localization && context.localizeCost) {
      record.usage = addUsage(record.usage, context.localizeCost.usage);
      record.cost_usd =
        record.cost_usd === null || context.localizeCost.costUsd === null
          ? null
          : record.cost_usd + context.localizeCost.costUsd;
      record.localization = context.localization;
    }
    usage = addUsage(usage, record.usage);
    cost = cost === null || record.cost_usd === null ? null : cost + record.cost_usd;
    if (record.patch.trim() || record.passed) bestPatch = record.patch;
    attempts.push(record);
    onEvent?.({ type: "attempt-end", instanceId: instance.instance_id, attempt: record });
    if (stop) return finish(stop.reason, stop.passed, stop.error);
    // History holds the feedback that was sent: after the last attempt there is no one to send it to.
    if (attemptNumber < options.maxAttempts) feedbackHistory.push(record.feedback);
    carry = { patch: carriedPatch, feedback: record.feedback };
  }
  return finish("max_attempts", false, null);
}

/** What every attempt of one loop shares: the options and the conversation so far. */
interface Conversation {
  /** The loop's options. */
  options: AttemptLoopOptions;
  /** The messages so far (each attempt adds to them). */
  messages: ModelMessage[];
  /** The system prompt. */
  system: string;
  /** The checkout the read-only tools read, when they are offered. */
  toolContext: { dir: string; files: string[] } | undefined;
}

/** What the last attempt hands to the next one. */
interface Carry {
  /** Blocks that applied while others did not match, applied again first ("" for none). */
  patch: string;
  /** The last attempt's feedback, sent first (undefined on the first attempt). */
  feedback: string | undefined;
}

/** One attempt's record, and whether the loop stops after it. */
interface AttemptOutcome {
  /** What happened in the attempt. */
  record: AttemptRecord;
  /** Why the loop stops after this attempt; undefined to go on. */
  stop?: { reason: AttemptLoopResult["stop_reason"]; passed: boolean; error: string | null };
  /** The blocks to carry into the next attempt ("" for none). */
  carriedPatch: string;
}

/** One attempt: from base (with what was carried) → model → edits → apply → check. */
async function runAttempt(
  conversation: Conversation,
  attemptNumber: number,
  carry: Carry,
): Promise<AttemptOutcome> {
  const { options, messages, system } = conversation;
  const { instance, onEvent } = options;
  const started = Date.now();
  onEvent?.({ type: "attempt-start", instanceId: instance.instance_id, attemptNumber });
  await startFromBase(conversation, attemptNumber, carry);
  const promptTokens = estimateTokens(system + messages.map((message) => message.content).join("\n"));
  const turn = await askModel(conversation, attemptNumber);
  const { response } = turn;
  if (!response.ok) {
    // A provider failure is not the model's mistake: stop and report it as infrastructure.
    // The calls that did answer before it (tool rounds) were charged: the record keeps their usage.
    const record = {
      ...emptyAttempt(attemptNumber, promptTokens, started, `model call failed: ${response.message}`),
      usage: turn.usage,
      cost_usd: turn.costUsd,
    };
    const error = `${response.kind === "infra" ? "infrastructure" : "provider refused"}: ${response.message}`;
    return { record, carriedPatch: "", stop: { reason: response.kind, passed: false, error } };
  }
  messages.push({ role: "assistant", content: response.text });
  const judged = await judgeAnswer(options, response.text, attemptNumber);
  const { passed, failureClass } = judged;
  const isLast = passed || attemptNumber === options.maxAttempts || failureClass === "infra";
  const record: AttemptRecord = {
    attempt_number: attemptNumber,
    prompt_tokens_estimate: promptTokens,
    raw_answer: response.text,
    parsed_edits: judged.parsedEdits,
    apply_result: judged.editReport,
    check_result: judged.checkSummary,
    passed,
    failure_class: failureClass,
    feedback: isLast ? "" : judged.feedback,
    patch: judged.patch,
    usage: turn.usage,
    cost_usd: turn.costUsd,
    duration_ms: Date.now() - started,
    check_details: judged.checkDetails,
    ...(turn.toolCalls.length > 0 ? { tool_calls: turn.toolCalls } : {}),
  };
  const stop: AttemptOutcome["stop"] = passed
    ? { reason: "passed", passed: true, error: null }
    : failureClass === "infra"
      ? { reason: "infra", passed: false, error: `infrastructure: ${judged.checkSummary}` }
      : undefined;
  return { record, stop, carriedPatch: judged.carriedPatch };
}

/**
 * Every attempt starts at base (the first one already does): earlier edits and test runs are gone.
 * The blocks carried over are applied again, and the last feedback says whether they still applied.
 */
async function startFromBase(conversation: Conversation, attemptNumber: number, carry: Carry): Promise<void> {
  const { dir, instance } = conversation.options;
  if (attemptNumber > 1) await resetToBase(dir, instance.base_commit);
  let carried: "kept" | "dropped" | "none" = "none";
  if (carry.patch) {
    carried = (await applyPatch(dir, carry.patch)).ok ? "kept" : "dropped";
    // Whatever part of it did apply goes too: the model is told to send everything again.
    if (carried === "dropped") await resetToBase(dir, instance.base_commit);
  }
  if (carry.feedback !== undefined)
    conversation.messages.push({
      role: "user",
      content: renderFeedbackMessage(carry.feedback, attemptNumber, carried),
    });
}

/** The model's turn: tool rounds (when offered) up to its answer or a failure. */
function askModel(conversation: Conversation, attemptNumber: number) {
  const { options, messages, system, toolContext } = conversation;
  const { instance, dir, onEvent } = options;
  return converse({
    model: options.model,
    messages,
    request: {
      system,
      instanceId: instance.instance_id,
      signal: options.signal,
      // Scripted stand-ins (the oracle) read the checkout to write unique SEARCH blocks.
      readFile: (path) => {
        try {
          return readFileSync(join(dir, path), "utf8");
        } catch {
          return undefined;
        }
      },
    },
    tools: toolContext,
    onCall: (response) =>
      onEvent?.({
        type: "model-call-end",
        instanceId: instance.instance_id,
        attemptNumber,
        ok: response.ok,
        costUsd: response.ok ? response.costUsd : 0,
      }),
  });
}

/** What became of an answer: its edits applied (or not), the resulting patch, and the check's verdict. */
async function judgeAnswer(options: AttemptLoopOptions, answer: string, attemptNumber: number) {
  const { instance, dir, onEvent } = options;
  const parsed = parseEdits(answer);
  const applied = parsed.edits.length > 0 ? await applyEdits(dir, parsed.edits) : undefined;
  const patch = await diffWorkspace(dir, instance.base_commit);
  const editReport = describeParsedAndApplied(parsed, applied);
  let failureClass: FailureClass | null = null;
  let checkSummary = "not checked";
  let feedback = "";
  let checkDetails: unknown;
  let passed = false;

  if (parsed.edits.length === 0) {
    failureClass = "format_error";
    feedback = editReport;
  } else if (applied && applied.failed.length > 0) {
    failureClass = "edit_not_applied";
    feedback = editReport;
  } else {
    onEvent?.({ type: "check-start", instanceId: instance.instance_id, attemptNumber });
    const outcome = await options.check({ dir, patch, attemptNumber });
    checkSummary = outcome.summary;
    checkDetails = outcome.details;
    passed = outcome.passed;
    failureClass = outcome.passed ? null : (outcome.failureClass ?? "tests_failed");
    feedback = outcome.passed ? "" : outcome.feedback;
  }
  // Keep the blocks that applied when only other blocks failed to match (so they need not be resent).
  const carriedPatch =
    failureClass === "edit_not_applied" && applied && applied.applied.length > 0 ? patch : "";
  const parsedEdits = parsed.edits.map((edit) => `${edit.path}: ${edit.kind}`);
  return {
    parsedEdits,
    patch,
    editReport,
    failureClass,
    checkSummary,
    feedback,
    checkDetails,
    passed,
    carriedPatch,
  };
}

function describeParsedAndApplied(
  parsed: ReturnType<typeof parseEdits>,
  applied: Awaited<ReturnType<typeof applyEdits>> | undefined,
): string {
  const lines: string[] = [];
  if (parsed.edits.length === 0) {
    lines.push("Your answer contained no SEARCH/REPLACE block that could be parsed.");
  }
  for (const problem of parsed.problems)
    lines.push(`Format problem at line ${problem.line}: ${problem.message}`);
  if (applied) lines.push(describeEditResult(applied));
  return lines.join("\n");
}

function emptyAttempt(
  attemptNumber: number,
  promptTokens: number,
  started: number,
  summary: string,
): AttemptRecord {
  return {
    attempt_number: attemptNumber,
    prompt_tokens_estimate: promptTokens,
    raw_answer: "",
    parsed_edits: [],
    apply_result: "",
    check_result: summary,
    passed: false,
    failure_class: "infra",
    feedback: "",
    patch: "",
    usage: ZERO_USAGE,
    cost_usd: 0,
    duration_ms: Date.now() - started,
  };
}
