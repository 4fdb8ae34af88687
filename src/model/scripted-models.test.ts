import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { Instance } from "../dataset/instance.js";
import { parseEdits } from "../edits/parse-edits.js";
import { EnvironmentError, UserError } from "../errors.js";
import { createModel } from "./create-model.js";
import type { ModelRequest } from "./model.js";
import { readApiKey } from "./read-api-key.js";
import { readTranscript, type TranscriptEntry } from "./read-transcript.js";
import { recordTranscript } from "./record-transcript.js";
import { answerJson, serveJson } from "./test-support/serve-json.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-model-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const GOLD = "diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n";
function instance(id: string, extra: Record<string, unknown> = {}): Instance {
  return {
    instance_id: id,
    repo: "o/r",
    base_commit: "0".repeat(40),
    patch: GOLD,
    test_patch: "",
    problem_statement: "x should be 2",
    hints_text: "",
    created_at: "2024-01-01T00:00:00Z",
    version: "1.0",
    FAIL_TO_PASS: [],
    PASS_TO_PASS: [],
    environment_setup_commit: "0".repeat(40),
    extra,
  };
}
/** What `action` threw; fails the test when it throws nothing. */
function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw, but nothing was thrown");
}
const ask = (instanceId: string, answers: string[] = []): ModelRequest => ({
  system: "sys",
  instanceId,
  messages: answers
    .flatMap((answer, index) => [
      { role: "user" as const, content: `ask ${index}` },
      { role: "assistant" as const, content: answer },
    ])
    .concat({ role: "user", content: "ask now" }),
});

describe("oracle", () => {
  it("answers with the gold patch as a fenced diff, scripted, free and without tokens", async () => {
    const model = createModel("oracle", { instances: new Map([["a", instance("a")]]) });
    expect(model).toMatchObject({ id: "oracle", scripted: true });
    const answer = await model.complete(ask("a"));
    expect(answer).toMatchObject({ ok: true, costUsd: 0, usage: { inputTokens: 0, outputTokens: 0 } });
    if (answer.ok) expect(answer.text).toContain(`\`\`\`diff\n${GOLD}\`\`\``);
    expect(await model.complete(ask("missing"))).toMatchObject({ ok: false, kind: "refused" });
  });
  it("answers with SEARCH/REPLACE blocks that match once when it can read the workspace", async () => {
    const model = createModel("oracle", { instances: new Map([["a", instance("a")]]) });
    const files: Record<string, string> = { "m.py": "y = 0\nx = 1\nz = 3\n" };
    const answer = await model.complete({ ...ask("a"), readFile: (path) => files[path] });
    const text = answer.ok ? answer.text : "";
    expect(text).not.toContain("```diff");
    expect(parseEdits(text).edits).toMatchObject([
      { kind: "search-replace", path: "m.py", search: "x = 1\n", replace: "x = 2\n" },
    ]);
  });

  it("keeps a diff the blocks cannot express (a deleted file) as a fenced diff", async () => {
    const deletion =
      "diff --git a/old.py b/old.py\ndeleted file mode 100644\n--- a/old.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-gone\n";
    const model = createModel("oracle", {
      instances: new Map([["d", { ...instance("d"), patch: deletion }]]),
    });
    const answer = await model.complete({ ...ask("d"), readFile: () => "gone\n" });
    expect(answer.ok && answer.text).toContain(`\`\`\`diff\n${deletion}\`\`\``);
  });
});

describe("demo", () => {
  it("gives the i-th scripted answer to the i-th call of a conversation, repeating the last", async () => {
    const model = createModel("demo", {
      instances: new Map([["d", instance("d", { demo_answers: ["first", "second"] })]]),
    });
    expect(model).toMatchObject({
      id: "demo",
      label: "demo (scripted, not a language model)",
      scripted: true,
    });
    const texts = [];
    for (const previous of [[], ["first"], ["first", "second"]]) {
      const answer = await model.complete(ask("d", previous));
      texts.push(answer.ok ? answer.text : answer.message);
    }
    expect(texts).toEqual(["first", "second", "second"]);
    expect(await model.complete(ask("no-answers"))).toMatchObject({ ok: false, kind: "refused" });
  });
});

describe("transcripts and replay", () => {
  it("records a real provider's calls per instance and replays the same answers with no network", async () => {
    let calls = 0;
    const server = await serveJson((seen, response) => {
      calls++;
      const last = (seen.body.messages as { content: unknown }[]).at(-1);
      answerJson(response, 200, {
        id: `chatcmpl-${calls}`,
        object: "chat.completion",
        created: 1764500000,
        model: "gpt-4.1-mini-2025-04-14",
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: `answer ${calls} to ${JSON.stringify(last?.content)}` },
            finish_reason: "stop",
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 2 },
      });
    });
    closers.push(server.close);
    const live = createModel("openai:gpt-4.1-mini", { baseUrl: server.origin, apiKey: "k" });
    const runDir = join(scratch, "run");
    const recorded: Record<string, string[]> = {};
    for (const id of ["one", "two"]) {
      const model = recordTranscript(live, join(runDir, id, "transcript.jsonl"));
      const answers: string[] = [];
      for (let turn = 0; turn < 2; turn++) {
        const answer = await model.complete(ask(id, answers));
        answers.push(answer.ok ? answer.text : "");
      }
      recorded[id] = answers;
    }
    await server.close();

    const entries = readTranscript(join(runDir, "one", "transcript.jsonl"));
    expect(entries.map((entry) => [entry.instance_id, entry.call, entry.turn])).toEqual([
      ["one", 0, 0],
      ["one", 1, 1],
    ]);
    const first = entries[0] as TranscriptEntry;
    expect(first.response).toMatchObject({
      ok: true,
      usage: { inputTokens: 10, outputTokens: 2 },
      raw: { usage: { prompt_tokens: 10 } },
    });
    // gpt-4.1-mini's shipped prices: $0.40 in, $1.60 out per million tokens.
    expect(first.response.ok && first.response.costUsd).toBeCloseTo((10 * 0.4 + 2 * 1.6) / 1e6, 12);
    expect(first.duration_ms).toBeGreaterThanOrEqual(0);
    expect(Date.parse(first.started_at)).not.toBeNaN();

    // The whole run folder: every instance's transcript, no server running.
    const replay = createModel(`replay:${runDir}`);
    expect(replay.scripted).toBe(true);
    for (const id of ["two", "one"]) {
      const answers: string[] = [];
      for (let turn = 0; turn < 2; turn++) {
        const answer = await replay.complete(ask(id, answers));
        expect(answer).toMatchObject({ ok: true, costUsd: 0 });
        answers.push(answer.ok ? answer.text : "");
      }
      expect(answers).toEqual(recorded[id]);
    }
    expect(await replay.complete(ask("one"))).toMatchObject({
      ok: false,
      message: expect.stringContaining("no more recorded calls"),
    });
  });

  it("answers in recorded order, failures included, and says when the prompt differs", async () => {
    const file = join(scratch, "single.jsonl");
    const failure = {
      ok: false as const,
      kind: "infra" as const,
      message: "HTTP 500",
      retries: 6,
      durationMs: 1,
    };
    let first = true;
    const flaky = {
      id: "flaky",
      scripted: false,
      complete: async (request: ModelRequest) => {
        if (first) {
          first = false;
          return failure;
        }
        return createModel("oracle", { instances: new Map([["a", instance("a")]]) }).complete(request);
      },
    };
    const model = recordTranscript(flaky, file);
    await model.complete(ask("a"));
    await model.complete(ask("a"));
    expect(model.calls()).toBe(2);
    const replay = createModel(`replay:${file}`);
    expect(await replay.complete(ask("a"))).toEqual(failure);
    const changed = { ...ask("a"), system: "a different system prompt" };
    const answer = await replay.complete(changed);
    expect(answer).toMatchObject({
      ok: true,
      stopReason: "scripted (replayed; the prompt differs from the recording)",
    });
    if (answer.ok) expect(answer.text).toContain(GOLD);
    expect(await replay.complete(ask("a"))).toMatchObject({ ok: false, kind: "refused" });
    const again = createModel(`replay:${file}`);
    await again.complete(ask("a"));
    expect(await again.complete(ask("a"))).toMatchObject({ ok: true, stopReason: "scripted" });
  });

  it("names the file and line of a broken transcript, and a missing one", () => {
    const dir = join(scratch, "broken");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "transcript.jsonl"), '{"request_sha256":"ab","response":{}}\n{oops\n');
    expect(() => createModel(`replay:${dir}`)).toThrow(UserError);
    const thrown = thrownBy(() => readTranscript(dir));
    expect(thrown).toBeInstanceOf(UserError);
    expect(thrown).toMatchObject({ where: `${join(dir, "transcript.jsonl")}:2` });
    expect(() => createModel(`replay:${join(scratch, "absent.jsonl")}`)).toThrow(/ENOENT/);
  });
});

describe("registry and keys", () => {
  it("reads keys from the usual variables and names the one to set when missing", () => {
    expect(readApiKey("google", { GOOGLE_API_KEY: "g" })).toBe("g");
    // Google's rule: GOOGLE_API_KEY wins when both are set.
    expect(readApiKey("google", { GEMINI_API_KEY: "gemini", GOOGLE_API_KEY: "g" })).toBe("g");
    expect(readApiKey("google", { GEMINI_API_KEY: "gemini" })).toBe("gemini");
    expect(readApiKey("openai-compatible", {})).toBe("");
    expect(() => readApiKey("anthropic", {})).toThrow(EnvironmentError);
    expect(() => readApiKey("anthropic", {})).toThrow(/ANTHROPIC_API_KEY/);
    expect(() => readApiKey("openai", {})).toThrow(/OPENAI_API_KEY/);
  });

  it("rejects unknown specs and an openai-compatible model without a base URL, as user errors", () => {
    expect(() => createModel("mystery:model")).toThrow(UserError);
    expect(() => createModel("anthropic:")).toThrow(/unknown model/);
    const saved = process.env.OPENAI_COMPATIBLE_BASE_URL;
    delete process.env.OPENAI_COMPATIBLE_BASE_URL;
    try {
      expect(() => createModel("openai-compatible:x")).toThrow(/needs a base URL/);
    } finally {
      if (saved !== undefined) process.env.OPENAI_COMPATIBLE_BASE_URL = saved;
    }
  });
});
