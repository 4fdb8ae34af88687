import type { Model, ModelResponse } from "./model.js";
import { hashRequest, readTranscript, type TranscriptEntry } from "./read-transcript.js";
import { createScriptedRefusal } from "./scripted-answer.js";

/**
 * Not a language model: answers from a recorded transcript (a file, or a run folder of per-instance
 * transcripts), with no network. Per instance, each request gets the earliest unused recorded call
 * asked with the same prompt, so a replay of the same run gives the same answers in the same order;
 * a prompt the recording never saw is reported as a value. Cost is 0: replaying spends nothing.
 */
export function createReplayModel(path: string): Model {
  const unused = new Map<string, TranscriptEntry[]>();
  for (const entry of readTranscript(path)) {
    const list = unused.get(entry.instance_id) ?? [];
    list.push(entry);
    unused.set(entry.instance_id, list);
  }
  return {
    id: `replay:${path}`,
    scripted: true,
    async complete(request): Promise<ModelResponse> {
      const instanceId = request.instanceId ?? "";
      const remaining = unused.get(instanceId) ?? [];
      const hash = hashRequest(request);
      const index = remaining.findIndex((entry) => entry.request_sha256 === hash);
      if (index < 0) {
        return createScriptedRefusal(
          remaining.length === 0
            ? `replay: no more recorded calls for ${instanceId || "(no instance)"}`
            : `replay: the prompt for ${instanceId || "(no instance)"} differs from the recording (asked sha256 ${hash.slice(0, 12)}, next recorded ${remaining[0]?.request_sha256.slice(0, 12)})`,
        );
      }
      const [entry] = remaining.splice(index, 1);
      const response = (entry as TranscriptEntry).response;
      return response.ok ? { ...response, costUsd: 0 } : response;
    },
  };
}
