import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { answerJson, serveJson } from "../../model/test-support/serve-json.js";
import { openStore } from "../../store/open-store.js";
import { makeGitRepo } from "../../workspace/test-support/make-git-repo.js";
import { runCli, runCliAsync } from "../test-support/run-cli.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-context-localize-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** A module long enough to be shown as an outline plus pieces at a small budget. */
function module(prefix: string, tail: string[]): string {
  const parts = ['"""Module."""', ""];
  for (let index = 0; index < 300; index++)
    parts.push(
      `def ${prefix}_${index}(value):`,
      `    """Part ${index}."""`,
      `    return value * ${index}`,
      "",
      "",
    );
  return `${[...parts, ...tail].join("\n")}\n`;
}

describe("swegate context --localize", () => {
  it("model: asks the model once per instance and shows its choice first, with what it ignored", async () => {
    const units = module("scale", ["def to_metric(inches):", "    return inches * 2.45  # METRIC_BODY"]);
    const metricLine = units.split("\n").indexOf("def to_metric(inches):") + 1;
    const repo = makeGitRepo(
      {
        "shop/__init__.py": "",
        "shop/render.py": module("render_part", ["def render_title(title):", "    return title.upper()"]),
        "shop/units.py": units,
      },
      join(scratch, "repos", "acme+shop"),
    );
    const row = {
      instance_id: "acme__shop-1",
      repo: "acme/shop",
      base_commit: repo.commit,
      patch: "",
      test_patch: "",
      problem_statement: "`render_title` prints 24.5 cm for a 10 inch page.",
      hints_text: "",
      created_at: "2024-01-01T00:00:00Z",
      version: "1.0",
      FAIL_TO_PASS: ["tests/test_units.py::test_metric"],
      PASS_TO_PASS: [],
      environment_setup_commit: repo.commit,
    };
    const dataset = join(scratch, "rows.jsonl");
    writeFileSync(dataset, `${JSON.stringify(row)}\n`);
    const server = await serveJson((_seen, response) =>
      answerJson(response, 200, {
        choices: [
          {
            message: { role: "assistant", content: "shop/units.py::to_metric\nshop/nowhere.py\n" },
            finish_reason: "stop",
          },
        ],
        usage: { prompt_tokens: 50, completion_tokens: 5 },
      }),
    );
    try {
      const where = ["--context-tokens", "3000", "--cache-dir", join(scratch, "cache")];
      where.push("--repo-url", join(scratch, "repos", "{owner}+{name}"));
      const model = ["--model", "openai-compatible:locator", "--base-url", `${server.origin}/v1`];
      const readable = await runCliAsync(["context", dataset, "--localize", "model", ...model, ...where]);
      expect(readable.stderr).toBe("");
      expect(readable.code).toBe(0);
      expect(server.seen).toHaveLength(1);
      expect(readable.stdout).toContain(
        "  model step (openai-compatible:locator): shop/units.py, shop/units.py::to_metric; ignored: shop/nowhere.py",
      );
      expect(readable.stdout).toMatch(
        new RegExp(`shop/units\\.py \\(model\\): outline \\+ lines \\d+-${metricLine + 1}`),
      );

      const json = await runCliAsync([
        "context",
        dataset,
        "--json",
        "--localize",
        "model",
        ...model,
        ...where,
      ]);
      expect(json.code).toBe(0);
      const line = JSON.parse(json.stdout.trim());
      expect(line.files[0]).toMatchObject({ path: "shop/units.py", reason: "model" });
      expect(line.localization).toMatchObject({ ok: true, ignored: ["shop/nowhere.py"] });

      // Without the step no call is made and retrieval's choice stands.
      const plain = runCli(["context", dataset, ...model, ...where]);
      expect(plain.code).toBe(0);
      expect(server.seen).toHaveLength(2);
      expect(plain.stdout).not.toContain("model step");
    } finally {
      await server.close();
    }
  });

  it("a bad --localize is one line and exit 2, for context and run alike", () => {
    const cases: [string[], string][] = [
      [["context", "--localize", "bogus"], "--localize=bogus: must be retrieval or model"],
      [["context", "--localize", "model"], "--localize=model: needs a model to ask"],
      [["context", "--localize", "model", "--model", "oracle"], "oracle is scripted and cannot locate code"],
      [["run", "--localize", "sometimes", "--store", join(scratch, "store")], "--localize=sometimes"],
      // The demo runs the demo model: scripted, it has nothing to locate with.
      [["run", "--localize", "model", "--store", join(scratch, "store")], "demo is scripted"],
    ];
    for (const [args, message] of cases) {
      const result = runCli([...args, "--cache-dir", join(scratch, "cache")]);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
  });

  it("run records --localize with its settings: a resume refuses a contradicting one, naming the recorded value", () => {
    const where = ["--cache-dir", join(scratch, "cache"), "--store", join(scratch, "recorded")];
    const started = runCli([
      "run",
      "--run-id",
      "kept",
      "--json",
      "--instances",
      "swegate-demo__calculator-1",
      ...where,
    ]);
    expect(started.code, started.stderr).toBe(0);
    const store = openStore(join(scratch, "recorded"));
    expect(store.getRun("kept")?.config.localize).toBe("retrieval");
    store.close();
    const refused = runCli(["run", "--resume", "kept", "--localize", "model", ...where]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split("\n")).toEqual([
      "swegate: --localize=model contradicts run kept, started with localize retrieval (drop the flag to resume as started)",
    ]);
  });
});

describe("swegate run --localize model", () => {
  it("makes the step's call before attempt 1: its choice is shown, its tokens counted, the call transcribed", async () => {
    const reply = (content: string) => ({
      choices: [{ message: { role: "assistant", content }, finish_reason: "stop" }],
      usage: { prompt_tokens: 10, completion_tokens: 5 },
    });
    const answers = [
      reply("calculator/ops.py::divide\ncalculator/gone.py\n"),
      reply(
        "Floor division.\n\ncalculator/ops.py\n```python\n<<<<<<< SEARCH\n    return a // b\n=======\n    return a / b\n>>>>>>> REPLACE\n```\n",
      ),
    ];
    const server = await serveJson((_seen, response, index) =>
      answerJson(response, 200, answers[Math.min(index, answers.length - 1)]),
    );
    const storeDir = join(scratch, "localized-run");
    try {
      const result = await runCliAsync([
        "run",
        "--model",
        "openai-compatible:locator",
        "--base-url",
        `${server.origin}/v1`,
        "--localize",
        "model",
        "--instances",
        "swegate-demo__calculator-1",
        "--run-id",
        "localized",
        "--json",
        "--cache-dir",
        join(scratch, "cache"),
        "--store",
        storeDir,
      ]);
      expect(result.code, result.stderr).toBe(0);
      const [outcome] = result.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line))
        .filter((event) => event.type === "instance-end")
        .map((event) => event.result);
      expect(outcome).toMatchObject({ status: "verified", attempts_made: 1 });
      // Two calls: the step's and attempt 1's.
      expect(outcome.tokens).toMatchObject({ input: 20, output: 10 });
      expect(server.seen).toHaveLength(2);
      const store = openStore(storeDir);
      expect(store.getRun("localized")?.config.localize).toBe("model");
      const [attempt] = store.getAttempts("localized", "swegate-demo__calculator-1");
      store.close();
      expect(attempt?.localization).toMatchObject({
        ok: true,
        files: ["calculator/ops.py"],
        definitions: ["calculator/ops.py::divide"],
        ignored: ["calculator/gone.py"],
      });
      const transcript = readFileSync(
        join(storeDir, "runs", "localized", "swegate-demo__calculator-1", "transcript.jsonl"),
        "utf8",
      )
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(transcript).toHaveLength(2);
      expect(transcript[0].request.system).toContain("You locate the code");
      const body = server.seen[1]?.body as { messages: { content: string }[] } | undefined;
      const first = body?.messages.at(-1)?.content;
      expect(first).toContain("calculator/ops.py (whole file");
    } finally {
      await server.close();
    }
  });
});
