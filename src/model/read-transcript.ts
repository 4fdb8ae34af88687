import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors.js";
import type { ModelMessage, ModelRequest, ModelResponse } from "./model.js";

/** One recorded model call: one JSON line of a transcript file. */
export interface TranscriptEntry {
  /** Instance the call was for ("" when the request named none). */
  instance_id: string;
  /** Answers already in the conversation when asked (0 for the first attempt's call). */
  turn: number;
  /** 0-based number of this call among the recording's calls for the instance. */
  call: number;
  /** sha256 (hex) of the system prompt and messages: tells a replay when the prompt changed. */
  request_sha256: string;
  /** What was asked. */
  request: { system: string; messages: ModelMessage[] };
  /** What came back: text, usage, cost, duration and the raw body, or the failure. */
  response: ModelResponse;
  /** ISO time the call started. */
  started_at: string;
  /** Wall time of the call including retries and waiting for the limiter, milliseconds. */
  duration_ms: number;
}

/** Hash of what the model was asked, so a replay can tell when the prompt changed. */
export function hashRequest(request: Pick<ModelRequest, "system" | "messages">): string {
  return createHash("sha256")
    .update(
      JSON.stringify([request.system, request.messages.map((message) => [message.role, message.content])]),
    )
    .digest("hex");
}

/** The transcript files under a path: the file itself, or every `transcript.jsonl` below a run folder. */
function listTranscriptFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, encoding: "utf8" })
    .filter((relative) => relative === "transcript.jsonl" || relative.endsWith("/transcript.jsonl"))
    .sort()
    .map((relative) => join(path, relative));
}

/**
 * Reads a transcript (JSON lines written by recordTranscript), or all of a run folder's per-instance
 * transcripts. Unreadable input is the user's to fix: a UserError naming the file and line.
 */
export function readTranscript(path: string): TranscriptEntry[] {
  let files: string[];
  try {
    files = listTranscriptFiles(path);
  } catch (error) {
    throw new UserError(`cannot read transcript: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      where: path,
      hint: "give a transcript.jsonl written by swegate run, or the run's folder",
    });
  }
  const entries: TranscriptEntry[] = [];
  for (const file of files) {
    const lines = readFileSync(file, "utf8").split("\n");
    lines.forEach((line, index) => {
      if (!line.trim()) return;
      try {
        const entry = JSON.parse(line) as TranscriptEntry;
        if (typeof entry.request_sha256 !== "string" || typeof entry.response !== "object")
          throw new Error("not a call");
        entries.push(entry);
      } catch (error) {
        throw new UserError(`not a transcript line: ${(error as Error).message}`, {
          where: `${file}:${index + 1}`,
          hint: "transcripts are JSON lines written by swegate run",
        });
      }
    });
  }
  return entries;
}
