import type { Instance } from "../dataset/instance.js";
import type { Model } from "./model.js";
import { createScriptedAnswer, createScriptedRefusal } from "./scripted-answer.js";

/** How the demo shows itself to people; its id stays `demo`, the spec a run records and resumes with. */
export const DEMO_MODEL_LABEL = "demo (scripted, not a language model)";

/**
 * Not a language model: the offline demo answers from each instance's `extra.demo_answers`, the i-th
 * call of a conversation (i = answers already in it) getting the i-th answer, the last repeating.
 * Some first answers are wrong on purpose, to show feedback at work.
 */
export function createDemoModel(instances: ReadonlyMap<string, Instance>): Model {
  return {
    id: "demo",
    label: DEMO_MODEL_LABEL,
    scripted: true,
    async complete(request) {
      const started = Date.now();
      const instance = request.instanceId ? instances.get(request.instanceId) : undefined;
      const answers = instance?.extra.demo_answers;
      if (!Array.isArray(answers) || answers.length === 0) {
        return createScriptedRefusal(
          `the demo model has no scripted answer for ${request.instanceId ?? "(none named)"}`,
        );
      }
      const turn = request.messages.filter((message) => message.role === "assistant").length;
      return createScriptedAnswer(String(answers[Math.min(turn, answers.length - 1)]), started);
    },
  };
}
