import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeInstance } from "../dataset/test-support/make-instance.js";
import { createModel } from "../model/create-model.js";
import type { TranscriptEntry } from "../model/read-transcript.js";
import { recordTranscript } from "../model/record-transcript.js";
import { answerJson, serveJson } from "../model/test-support/serve-json.js";
import { makeGitRepo } from "../workspace/test-support/make-git-repo.js";
import { parseLocalizeAnswer } from "./localize-with-model.js";
import { runAttemptLoop } from "./run-attempt-loop.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-localize-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** A module of `count` filler functions, so it is shown as an outline plus pieces, never whole. */
function filler(prefix: string, count: number): string[] {
  const parts: string[] = [];
  for (let index = 0; index < count; index++)
    parts.push(
      `def ${prefix}_${index}(value):`,
      `    """Filler ${index}."""`,
      `    return value + ${index}`,
      "",
      "",
    );
  return parts;
}

// The issue names render_title; the fix is in a method the issue never names, in another file.
const RENDER = [
  '"""Rendering."""',
  "",
  ...filler("render_part", 300),
  "def render_title(title):",
  "    return title.upper()",
  "",
].join("\n");
const UNITS = [
  '"""Units."""',
  "",
  ...filler("scale", 300),
  "class Converter:",
  '    """Converts lengths."""',
  "",
  "    def to_metric(self, inches):",
  "        return inches * 2.45  # CONVERTER_BODY",
  "",
  "    def to_imperial(self, centimetres):",
  "        return centimetres / 2.54",
  "",
].join("\n");
const METRIC_LINE = UNITS.split("\n").indexOf("    def to_metric(self, inches):") + 1;

function repository(name: string) {
  const repo = makeGitRepo(
    {
      "pkg/__init__.py": "",
      "pkg/render.py": RENDER,
      "pkg/units.py": UNITS,
      "tests/test_units.py": "def test_units():\n    pass\n",
    },
    join(scratch, name),
  );
  const instance = makeInstance({
    instance_id: `acme__pkg-${name}`,
    repo: "acme/pkg",
    base_commit: repo.commit,
    problem_statement: "`render_title` shows a page width of 24.5 cm for a 10 inch page: it should be 25.4.",
  });
  return { dir: repo.dir, instance };
}

const reply = (content: string, promptTokens: number) => ({
  choices: [{ message: { role: "assistant", content }, finish_reason: "stop" }],
  usage: { prompt_tokens: promptTokens, completion_tokens: 7 },
});

/** The attempt loop with one attempt, a provider model on a loopback server and a recorded transcript. */
async function runWith(name: string, answers: ((response: import("node:http").ServerResponse) => void)[]) {
  const { dir, instance } = repository(name);
  const server = await serveJson((_seen, response, index) =>
    answers[Math.min(index, answers.length - 1)]?.(response),
  );
  const transcript: TranscriptEntry[] = [];
  try {
    const provider = createModel("openai-compatible:locator", {
      baseUrl: `${server.origin}/v1`,
      maxRetries: 0,
      environment: {},
      prices: { "openai-compatible:locator": { input: 1, output: 0 } },
    });
    const loop = await runAttemptLoop({
      instance,
      model: recordTranscript(provider, (entry) => transcript.push(entry)),
      dir,
      maxAttempts: 1,
      mode: "oracle",
      contextTokenBudget: 3_000,
      localize: "model",
      check: async () => ({ passed: false, feedback: "", summary: "not run" }),
    });
    const bodies = server.seen.map((seen) => seen.body as { messages: { role: string; content: string }[] });
    const firstMessage = (index: number) =>
      bodies[index]?.messages.filter((message) => message.role === "user").at(-1)?.content ?? "";
    return { loop, bodies, firstMessage, transcript };
  } finally {
    await server.close();
  }
}

describe("--localize model: one call before attempt 1 chooses what is shown first", () => {
  it("shows the definition the model names, with its line numbers, and ignores what does not exist", async () => {
    const { loop, bodies, firstMessage, transcript } = await runWith("named", [
      (response) =>
        answerJson(
          response,
          200,
          reply(
            "- `pkg/units.py::Converter.to_metric`\npkg/missing.py\npkg/units.py::Converter.nope\n",
            1_000_000,
          ),
        ),
      (response) => answerJson(response, 200, reply("no edits", 10)),
    ]);
    expect(bodies).toHaveLength(2);
    // The request: the tree without the tests, and the skeleton of retrieval's best file.
    const request = firstMessage(0);
    expect(request).toContain("pkg/units.py\n");
    expect(request).not.toContain("tests/test_units.py");
    expect(request).toMatch(/pkg\/render\.py:\n```text\n[\s\S]*def render_title/);
    // Attempt 1 shows the named method verbatim, under a header with its line numbers.
    const shown = firstMessage(1);
    const headers = [...shown.matchAll(/^pkg\/units\.py lines (\d+)-(\d+):$/gm)].map((match) => [
      Number(match[1]),
      Number(match[2]),
    ]);
    expect(headers.some(([start = 0, end = 0]) => start <= METRIC_LINE && METRIC_LINE + 1 <= end)).toBe(true);
    expect(shown).toContain("        return inches * 2.45  # CONVERTER_BODY");
    // Retrieval's own choice still fills the rest of the budget.
    expect(shown).toContain("def render_title(title):");
    const [attempt] = loop.attempts;
    expect(attempt?.localization).toEqual({
      model: "openai-compatible:locator",
      ok: true,
      files: ["pkg/units.py"],
      definitions: ["pkg/units.py::Converter.to_metric"],
      ignored: ["pkg/missing.py", "pkg/units.py::Converter.nope"],
    });
    // The call is counted with the instance's: its tokens and cost (1 USD per million input tokens).
    expect(loop.usage).toMatchObject({ inputTokens: 1_000_010, outputTokens: 14 });
    expect(attempt?.usage.inputTokens).toBe(1_000_010);
    expect(loop.cost_usd).toBeCloseTo(1.00001, 6);
    // And recorded in the transcript like every other call.
    expect(transcript).toHaveLength(2);
    expect(transcript[0]?.request.messages[0]?.content).toBe(request);
  });

  it("a provider failure falls back to retrieval, says so, and does not fail the instance", async () => {
    const { loop, bodies, firstMessage } = await runWith("failed", [
      (response) => answerJson(response, 500, { error: { message: "upstream exploded" } }),
      (response) => answerJson(response, 200, reply("no edits", 10)),
    ]);
    expect(bodies).toHaveLength(2);
    expect(loop.stop_reason).toBe("max_attempts");
    expect(loop.attempts).toHaveLength(1);
    const [attempt] = loop.attempts;
    expect(attempt?.failure_class).toBe("format_error");
    expect(attempt?.localization).toMatchObject({ ok: false, files: [], definitions: [] });
    expect(attempt?.localization?.error).toMatch(/500/);
    expect(firstMessage(1)).toContain("def render_title(title):");
    expect(firstMessage(1)).not.toContain("CONVERTER_BODY");
    expect(loop.usage.inputTokens).toBe(10);
  });
});

describe("parseLocalizeAnswer", () => {
  it("reads paths and path::name lines, tolerating bullets, numbers, backticks and a call's parentheses", () => {
    expect(parseLocalizeAnswer("1. `a/b.py`\n* a/b.py::C.m()\n\n```\n./c.py::f\n```")).toEqual([
      { line: "a/b.py", path: "a/b.py" },
      { line: "a/b.py::C.m()", path: "a/b.py", qualname: "C.m" },
      { line: "./c.py::f", path: "c.py", qualname: "f" },
    ]);
  });
});
