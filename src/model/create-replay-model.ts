import type { Model, ModelResponse } from "./model.js";
import { hashRequest, readTranscript, type TranscriptEntry } from "./read-transcript.js";
import { createScriptedRefusal } from "./scripted-answer.js";

/**
 * Not a language model: answers from a recorded transcript (a file, or a run folder of per-instance
 * transcripts) with no network. Per instance, the i-th call gets the i-th recorded call, recorded
 * failures included, so a replay retraces the run (also its infra retries). Cost is 0: replaying
 * spends nothing.
 */
export function createReplayModel(path: string): Model {
  const pending = new Map<string, TranscriptEntry[]>();
  for (const entry of readTranscript(path)) {
    const list = pending.get(entry.instance_id) ?? [];
    list.push(entry);
    pending.set(entry.instance_id, list);
  }
  return {
    id: `replay:${path}`,
    scripted: true,
    async complete(request): Promise<ModelResponse> {
      const instanceId = request.instanceId ?? "";
      const entry = pending.get(instanceId)?.shift();
      if (!entry)
        return createScriptedRefusal(`replay: no more recorded calls for ${instanceId || "(no instance)"}`);
      const { response } = entry;
      if (!response.ok) return response;
      // Test logs in feedback carry timings, so a replayed prompt rarely matches byte for byte: the
      // recorded answer is still given in order, and its stop reason says the prompt differed.
      const differs = entry.request_sha256 !== hashRequest(request);
      return {
        ...response,
        costUsd: 0,
        stopReason: differs
          ? `${response.stopReason} (replayed; the prompt differs from the recording)`
          : response.stopReason,
      };
    },
  };
}
