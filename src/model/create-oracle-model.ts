import type { Instance } from "../dataset/instance.js";
import type { Model } from "./model.js";
import { createScriptedAnswer, createScriptedRefusal } from "./scripted-answer.js";

/**
 * Not a language model: answers each instance with its gold patch as a fenced unified diff (which
 * the edits parser accepts). Used to check environments and the pipeline end to end.
 */
export function createOracleModel(instances: ReadonlyMap<string, Instance>): Model {
  return {
    id: "oracle",
    scripted: true,
    async complete(request) {
      const started = Date.now();
      const instance = request.instanceId ? instances.get(request.instanceId) : undefined;
      if (!instance)
        return createScriptedRefusal(`the oracle has no instance ${request.instanceId ?? "(none named)"}`);
      const patch = instance.patch.endsWith("\n") ? instance.patch : `${instance.patch}\n`;
      return createScriptedAnswer(
        `The reference fix (oracle: the gold patch, not a language model).\n\n\`\`\`diff\n${patch}\`\`\`\n`,
        started,
      );
    },
  };
}
