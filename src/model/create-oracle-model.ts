import type { Instance } from "../dataset/instance.js";
import { diffToSearchReplace } from "../edits/diff-to-search-replace.js";
import type { Model, ModelRequest } from "./model.js";
import { createScriptedAnswer, createScriptedRefusal } from "./scripted-answer.js";

/**
 * The gold patch in the form a model writes: SEARCH/REPLACE blocks grown until each matches once in
 * the workspace (needs `request.readFile`), so the oracle exercises the same edit path as a model.
 * A patch the blocks cannot express (deleted or renamed files, unreadable files) stays a fenced
 * unified diff, which the edits parser also accepts.
 */
function writeGoldAnswer(patch: string, readFile: ModelRequest["readFile"]): string {
  const diff = patch.endsWith("\n") ? patch : `${patch}\n`;
  if (readFile) {
    const conversion = diffToSearchReplace(diff, readFile);
    if (conversion.problems.length === 0 && conversion.edits.length > 0) {
      return `The reference fix (oracle: the gold patch, not a language model).\n\n${conversion.text}`;
    }
  }
  return `The reference fix (oracle: the gold patch, not a language model).\n\n\`\`\`diff\n${diff}\`\`\`\n`;
}

/** Not a language model: answers each instance with its gold patch. Used to check environments and the pipeline. */
export function createOracleModel(instances: ReadonlyMap<string, Instance>): Model {
  return {
    id: "oracle",
    scripted: true,
    async complete(request) {
      const started = Date.now();
      const instance = request.instanceId ? instances.get(request.instanceId) : undefined;
      if (!instance)
        return createScriptedRefusal(`the oracle has no instance ${request.instanceId ?? "(none named)"}`);
      return createScriptedAnswer(writeGoldAnswer(instance.patch, request.readFile), started);
    },
  };
}
