import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Model } from "./model.js";
import { hashRequest, type TranscriptEntry } from "./scripted-models.js";

/** Wraps a model so every call is appended as one JSON line to `file` (replayable with `replay:FILE`). */
export function recordTranscript(model: Model, file: string): Model & { calls: () => number } {
  let calls = 0;
  return {
    id: model.id,
    scripted: model.scripted,
    calls: () => calls,
    async complete(request) {
      const response = await model.complete(request);
      const entry: TranscriptEntry = {
        instance_id: request.instanceId ?? "",
        turn: request.messages.filter((message) => message.role === "assistant").length,
        request_sha256: hashRequest(request),
        request: { system: request.system, messages: request.messages },
        response,
        at: new Date().toISOString(),
      };
      calls++;
      mkdirSync(dirname(file), { recursive: true });
      appendFileSync(file, `${JSON.stringify(entry)}\n`);
      return response;
    },
  };
}
