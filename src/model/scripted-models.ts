import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Instance } from "../dataset/instance.js";
import { UserError } from "../errors.js";
import type { Model, ModelRequest, ModelResponse } from "./model.js";

const NO_USAGE = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };

function scriptedAnswer(text: string, started: number): ModelResponse {
  return {
    ok: true,
    text,
    usage: NO_USAGE,
    costUsd: 0,
    durationMs: Date.now() - started,
    stopReason: "scripted",
    raw: null,
  };
}

/** How many answers this conversation already holds: the next answer's index. */
const turnOf = (request: ModelRequest) =>
  request.messages.filter((message) => message.role === "assistant").length;

/** Not a model: answers with the instance's gold patch (as a unified diff). For validation and demos. */
export function createOracleModel(instances: ReadonlyMap<string, Instance>): Model {
  return {
    id: "oracle",
    scripted: true,
    async complete(request) {
      const started = Date.now();
      const instance = request.instanceId ? instances.get(request.instanceId) : undefined;
      if (!instance)
        return {
          ok: false,
          kind: "refused",
          message: `oracle has no instance ${request.instanceId}`,
          retries: 0,
          durationMs: 0,
        };
      return scriptedAnswer(
        `The reference fix (oracle: not a language model).\n\n\`\`\`diff\n${instance.patch}\`\`\`\n`,
        started,
      );
    },
  };
}

/**
 * Not a model: the offline demo answers from each demo instance's `demo_answers`, the i-th call of a
 * conversation getting the i-th answer (the last repeats). Some first answers are wrong on purpose.
 */
export function createDemoModel(instances: ReadonlyMap<string, Instance>): Model {
  return {
    id: "demo",
    scripted: true,
    async complete(request) {
      const started = Date.now();
      const instance = request.instanceId ? instances.get(request.instanceId) : undefined;
      const answers = instance?.extra.demo_answers;
      if (!Array.isArray(answers) || answers.length === 0) {
        return {
          ok: false,
          kind: "refused",
          message: `the demo model has no scripted answer for ${request.instanceId}`,
          retries: 0,
          durationMs: 0,
        };
      }
      const turn = Math.min(turnOf(request), answers.length - 1);
      return scriptedAnswer(String(answers[turn]), started);
    },
  };
}

/** One recorded model call. */
export interface TranscriptEntry {
  instance_id: string;
  /** 0-based call number within the instance. */
  turn: number;
  /** sha256 of the request's system prompt and messages. */
  request_sha256: string;
  request: { system: string; messages: ModelRequest["messages"] };
  response: ModelResponse;
  /** ISO time of the call. */
  at: string;
}

/** Hash of what the model was asked, so a replay can tell when the prompt changed. */
export function hashRequest(request: Pick<ModelRequest, "system" | "messages">): string {
  return createHash("sha256")
    .update(JSON.stringify([request.system, request.messages]))
    .digest("hex");
}

/** Answers from a recorded transcript (JSON lines) in order per instance (the i-th call gets the i-th answer), with no network. */
export function createReplayModel(file: string): Model {
  let entries: TranscriptEntry[];
  try {
    entries = readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as TranscriptEntry);
  } catch (error) {
    throw new UserError(`cannot read transcript: ${(error as Error).message}`, {
      where: file,
      hint: "give a transcript.jsonl written by swegate run",
    });
  }
  return {
    id: `replay:${file}`,
    scripted: true,
    async complete(request) {
      const turn = turnOf(request);
      const entry = entries.find(
        (candidate) => candidate.instance_id === request.instanceId && candidate.turn === turn,
      );
      if (!entry)
        return {
          ok: false,
          kind: "refused",
          message: `no recorded call ${turn} for ${request.instanceId}`,
          retries: 0,
          durationMs: 0,
        };
      // Test logs in feedback carry timings, so a replayed prompt rarely matches byte for byte: the
      // recorded answer is given in order, and the answer says when the prompt differed.
      if (entry.response.ok && entry.request_sha256 !== hashRequest(request)) {
        return {
          ...entry.response,
          stopReason: `${entry.response.stopReason} (replayed; the prompt differs from the recording)`,
        };
      }
      return entry.response;
    },
  };
}
