import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Model } from "./model.js";
import { hashRequest, type TranscriptEntry } from "./read-transcript.js";

/** Where entries go: a file to append JSON lines to, or a function (tests, other stores). */
export type TranscriptSink = string | ((entry: TranscriptEntry) => void);

/**
 * Wraps a model so every call (request, response with usage, cost and raw body, timing) is written
 * as one JSON line — per-instance when the sink is that instance's file. `replay:PATH` reads it back.
 */
export function recordTranscript(model: Model, sink: TranscriptSink): Model & { calls: () => number } {
  const callsByInstance = new Map<string, number>();
  let total = 0;
  const write =
    typeof sink === "string"
      ? (entry: TranscriptEntry) => {
          mkdirSync(dirname(sink), { recursive: true });
          appendFileSync(sink, `${JSON.stringify(entry)}\n`);
        }
      : sink;
  return {
    id: model.id,
    scripted: model.scripted,
    calls: () => total,
    async complete(request) {
      const startedAt = new Date();
      const response = await model.complete(request);
      const instanceId = request.instanceId ?? "";
      const call = callsByInstance.get(instanceId) ?? 0;
      callsByInstance.set(instanceId, call + 1);
      total++;
      write({
        instance_id: instanceId,
        turn: request.messages.filter((message) => message.role === "assistant").length,
        call,
        request_sha256: hashRequest(request),
        request: { system: request.system, messages: request.messages },
        response,
        started_at: startedAt.toISOString(),
        duration_ms: Date.now() - startedAt.getTime(),
      });
      return response;
    },
  };
}
