import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeInstance } from "../dataset/test-support/make-instance.js";
import type { Model, ModelRequest, ModelResponse } from "../model/model.js";
import { makeGitRepo } from "../workspace/test-support/make-git-repo.js";
import { renderFeedbackMessage } from "./prompts.js";
import { runAttemptLoop } from "./run-attempt-loop.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-loop-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

const FILES = {
  "calc/ops.py": "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a + b\n",
};

const instanceFor = (base: string) =>
  makeInstance({
    instance_id: "calc__calc-1",
    base_commit: base,
    problem_statement: "add and mul are wrong in calc/ops.py",
    FAIL_TO_PASS: ["tests/test_ops.py::test_add"],
  });

const usage = (inputTokens: number) => ({
  inputTokens,
  outputTokens: 10,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
});

/** A model that gives the scripted responses in order and records every request. */
function scripted(responses: ModelResponse[]): Model & { requests: ModelRequest[] } {
  const requests: ModelRequest[] = [];
  return {
    id: "scripted",
    scripted: true,
    requests,
    complete: async (request) => {
      requests.push({ ...request, messages: [...request.messages] });
      const next = responses.shift();
      if (!next) throw new Error("no more scripted responses");
      return next;
    },
  };
}

const answer = (text: string, inputTokens = 0): Extract<ModelResponse, { ok: true }> => ({
  ok: true,
  text,
  usage: usage(inputTokens),
  costUsd: inputTokens / 1000,
  durationMs: 1,
  stopReason: "end_turn",
  raw: null,
});

const block = (search: string, replace: string) =>
  `calc/ops.py\n\`\`\`python\n<<<<<<< SEARCH\n${search}=======\n${replace}>>>>>>> REPLACE\n\`\`\`\n`;

describe("the attempt loop's records", () => {
  it("a model call that fails after a tool round keeps the usage and cost that round was charged", async () => {
    const repo = makeGitRepo(FILES, join(scratch, "usage"));
    const model = scripted([
      {
        ...answer("", 100),
        toolCalls: [{ id: "call_1", name: "list_folder", arguments: { path: "calc" } }],
      },
      {
        ok: false,
        kind: "infra",
        message: "gave up after 6 retries: 529 overloaded",
        retries: 6,
        durationMs: 5,
      },
    ]);
    const loop = await runAttemptLoop({
      instance: instanceFor(repo.commit),
      model,
      dir: repo.dir,
      maxAttempts: 2,
      mode: "oracle",
      tools: true,
      check: async () => ({ passed: true, feedback: "", summary: "ok" }),
    });
    expect(loop.stop_reason).toBe("infra");
    expect(loop.attempts).toHaveLength(1);
    expect(loop.attempts[0]?.usage.inputTokens).toBe(100);
    expect(loop.attempts[0]?.cost_usd).toBeCloseTo(0.1);
    expect(loop.usage.inputTokens).toBe(100);
  });

  it("tells the model its applied blocks are kept when they re-apply, and asks only for the failed ones", async () => {
    const repo = makeGitRepo(FILES, join(scratch, "kept"));
    const model = scripted([
      answer(
        block("def add(a, b):\n    return a - b\n", "def add(a, b):\n    return a + b\n") +
          block("def nothing_like_this():\n    pass\n", "x = 1\n"),
      ),
      answer(block("def mul(a, b):\n    return a + b\n", "def mul(a, b):\n    return a * b\n")),
    ]);
    const loop = await runAttemptLoop({
      instance: instanceFor(repo.commit),
      model,
      dir: repo.dir,
      maxAttempts: 2,
      mode: "oracle",
      check: async () => ({ passed: true, feedback: "", summary: "ok" }),
    });
    expect(loop.passed).toBe(true);
    const second = model.requests[1]?.messages.at(-1)?.content ?? "";
    expect(second).toContain("The blocks that applied are kept");
    // Both the carried block and the new one are in the final patch.
    expect(loop.patch).toContain("+    return a + b");
    expect(loop.patch).toContain("+    return a * b");
  });

  it("shows the model the real lines around its SEARCH's nearest match, with their line numbers, in either mode", async () => {
    for (const mode of ["oracle", "blind"] as const) {
      const repo = makeGitRepo(FILES, join(scratch, `nearest-${mode}`));
      // The SEARCH pictures `return a + b` where the file says `return a - b`.
      const model = scripted([
        answer(block("def add(a, b):\n    return a + b\n", "def add(a, b):\n    return a * b\n")),
        answer(block("def add(a, b):\n    return a - b\n", "def add(a, b):\n    return a + b\n")),
      ]);
      const loop = await runAttemptLoop({
        instance: instanceFor(repo.commit),
        model,
        dir: repo.dir,
        maxAttempts: 2,
        mode,
        check: async () => ({ passed: true, feedback: "", summary: "ok" }),
      });
      expect(loop.attempts[0]?.failure_class).toBe("edit_not_applied");
      const feedback = model.requests[1]?.messages.at(-1)?.content ?? "";
      expect(feedback).toContain(
        "Did you mean calc/ops.py lines 1-2? The file's real lines 1-5, verbatim:\n```\ndef add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n```",
      );
      expect(loop.feedback_history[0]).toContain("The file's real lines 1-5");
      expect(loop.passed).toBe(true);
    }
  });

  it("says plainly when carried blocks were dropped, so the model sends everything again", () => {
    const dropped = renderFeedbackMessage("block 2 did not match", 3, "dropped");
    expect(dropped).toMatch(
      /^Attempt 2 did not fix the issue\. The blocks that applied last time could not be re-applied and were dropped/,
    );
    expect(dropped).not.toContain("are kept");
    expect(dropped.endsWith("block 2 did not match")).toBe(true);
  });
});
