import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli, runCliAsync, swegateBin } from "../cli/test-support/run-cli.js";
import { loadDemoDataset } from "../dataset/demo/load-demo-dataset.js";
import { answerJson, chatCompletion, serveJson } from "../model/test-support/serve-json.js";
import { openStore } from "../store/open-store.js";
import type { InstanceResult } from "../store/records.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-run-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));
const env = { XDG_CONFIG_HOME: join(scratch, "config") };
const common = (name: string) => [
  "--cache-dir",
  join(scratch, "cache"),
  "--store",
  join(scratch, name),
  "--workers",
  "2",
];
const endEvents = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line))
    .filter((event) => event.type === "instance-end")
    .map((event) => event.result as InstanceResult);

describe("swegate run on the bundled demo (real git, real pytest)", () => {
  it("the offline demo model needs two attempts on calculator-2, and broken-1 never reaches the model", () => {
    const keys = runCli(["keys", "init", "--json"], { env });
    expect(keys.code).toBe(0);
    const result = runCli(["run", "--json", ...common("demo-store")], { env });
    expect(result.code, result.stderr).toBe(0);
    const results = endEvents(result.stdout);
    const byId = new Map(results.map((item) => [item.instance_id, item]));
    expect(byId.get("swegate-demo__calculator-2")).toMatchObject({ status: "verified", attempts_made: 2 });
    expect(byId.get("swegate-demo__calculator-2")?.feedback_history[0]).toContain("test_average_empty");
    expect(byId.get("swegate-demo__calculator-1")).toMatchObject({
      status: "verified",
      attempts_made: 1,
      model: "demo",
    });
    expect(byId.get("swegate-demo__textutils-1")).toMatchObject({ status: "verified" });
    expect(byId.get("swegate-demo__broken-1")).toMatchObject({
      status: "env_broken",
      attempts_made: 0,
      reason: "env_broken: missing_dependency",
    });
    expect(byId.get("swegate-demo__already-1")).toMatchObject({
      status: "skipped",
      reason: "already_passing",
    });
    const store = openStore(join(scratch, "demo-store"));
    const run = store.listRuns()[0];
    store.close();
    // No model call at all for the env-broken instance: its transcript was never written.
    expect(
      existsSync(
        join(scratch, "demo-store", "runs", run?.run_id ?? "", "swegate-demo__broken-1", "transcript.jsonl"),
      ),
    ).toBe(false);

    // The verified instances carry signed certificates that verify; any changed byte fails.
    const certificate = byId.get("swegate-demo__calculator-2")?.certificate as string;
    expect(
      runCli([
        "verify",
        certificate,
        "--pubkey",
        join(scratch, "config", "swegate", "keys", "swegate-ed25519.pub"),
      ]).code,
    ).toBe(0);
    // --rerun checks out base, runs the red gate, applies the certified patch and runs the green gate again.
    // verify trusts only given keys or the local key pair: `env` points at the one keys init made.
    const rerun = runCli(
      ["verify", certificate, "--rerun", "--json", "--cache-dir", join(scratch, "cache")],
      {
        env,
      },
    );
    expect(rerun.code, rerun.stderr).toBe(0);
    const rerunChecks = JSON.parse(rerun.stdout).checks.map(
      (check: { name: string; ok: boolean }) => `${check.name}:${check.ok}`,
    );
    expect(rerunChecks).toEqual(
      expect.arrayContaining([
        "rerun_red_verdict:true",
        "rerun_green_verdict:true",
        "rerun_green_tests:true",
      ]),
    );
    const text = readFileSync(certificate, "utf8");
    const tamperedPatch = join(scratch, "tampered.json");
    writeFileSync(tamperedPatch, text.replace("return 0.0", "return 0.1"));
    expect(runCli(["verify", tamperedPatch], { env }).code).toBe(1);
    const document = JSON.parse(text);
    document.attempts = 1;
    writeFileSync(tamperedPatch, JSON.stringify(document));
    expect(runCli(["verify", tamperedPatch], { env }).code).toBe(1);
    document.attempts = 2;
    // A different first character (the signature may already start with "A").
    const first = document.signature.value[0] === "A" ? "B" : "A";
    document.signature.value = `${first}${document.signature.value.slice(1)}`;
    writeFileSync(tamperedPatch, JSON.stringify(document));
    const badSignature = runCli(["verify", tamperedPatch, "--json"], { env });
    expect(badSignature.code).toBe(1);
    expect(
      JSON.parse(badSignature.stdout).checks.find((check: { name: string }) => check.name === "signature").ok,
    ).toBe(false);
  });

  it("the oracle verifies every healthy demo instance on attempt 1, and its predictions export", () => {
    const result = runCli(["run", "--model", "oracle", "--json", ...common("oracle-store")], { env });
    expect(result.code, result.stderr).toBe(0);
    const verified = endEvents(result.stdout).filter((item) => item.status === "verified");
    expect(verified.map((item) => item.instance_id).sort()).toEqual([
      "swegate-demo__calculator-1",
      "swegate-demo__calculator-2",
      "swegate-demo__textutils-1",
    ]);
    expect(verified.every((item) => item.attempts_made === 1)).toBe(true);
    const store = openStore(join(scratch, "oracle-store"));
    const runId = store.listRuns()[0]?.run_id as string;
    store.close();
    const predictions = join(scratch, "predictions.jsonl");
    expect(
      runCli(["export", runId, "--predictions", predictions, "--store", join(scratch, "oracle-store")]).code,
    ).toBe(0);
    const rows = readFileSync(predictions, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(rows).toHaveLength(5);
    expect(rows[0]).toHaveProperty("model_patch");
    // Evaluated like the official harness, every patch the oracle run produced resolves its instance.
    const evaluation = runCli([
      "eval",
      "--predictions",
      predictions,
      "--output-dir",
      join(scratch, "eval"),
      "--json",
      ...common("eval-store"),
    ]);
    expect(evaluation.code, evaluation.stderr).toBe(0);
    const summary = JSON.parse(evaluation.stdout);
    expect(summary.resolved_ids).toEqual(verified.map((item) => item.instance_id).sort());
    expect(summary.unresolved_instances).toBe(0);
    expect(summary.empty_patch_ids).toEqual(["swegate-demo__already-1", "swegate-demo__broken-1"]);
    const reportFile = join(
      scratch,
      "eval",
      "logs",
      "run_evaluation",
      "swegate",
      "swegate__oracle",
      "swegate-demo__calculator-1",
      "report.json",
    );
    expect(JSON.parse(readFileSync(reportFile, "utf8"))["swegate-demo__calculator-1"].resolved).toBe(true);
  });

  it("gives the same verdicts under a user's git config that changes diffs and patching", () => {
    // Each of these broke or could break the candidate's diff or its application (diff.noprefix
    // turned every oracle fix into a model failure); the official harness runs with none of them.
    const hostile = join(scratch, "hostile.gitconfig");
    writeFileSync(
      hostile,
      "[diff]\n\tnoprefix = true\n\tmnemonicPrefix = true\n[apply]\n\twhitespace = error\n[core]\n\tautocrlf = true\n[color]\n\tui = always\n",
    );
    const result = runCli(
      [
        "run",
        "--model",
        "oracle",
        "--json",
        "--instances",
        "swegate-demo__calculator-1,swegate-demo__textutils-1",
        ...common("hostile-store"),
      ],
      { env: { ...env, GIT_CONFIG_GLOBAL: hostile } },
    );
    expect(result.code, result.stderr).toBe(0);
    const ends = endEvents(result.stdout);
    expect(
      ends.map((item) => [item.instance_id, item.status, item.patch.split("\n")[0]]).sort(),
      // On a failure, what the green gate weighed says why.
      JSON.stringify(
        ends.map((item) => [item.reason, item.green_gate?.suspicious, item.green_gate?.evidence]),
      ),
    ).toEqual([
      ["swegate-demo__calculator-1", "verified", "diff --git a/calculator/ops.py b/calculator/ops.py"],
      ["swegate-demo__textutils-1", "verified", expect.stringMatching(/^diff --git a\/\S+ b\/\S+$/)],
    ]);
  });

  it("counts a provider that only answers 500 as an infrastructure failure, never a model failure", async () => {
    const server = await serveJson((_seen, response) => answerJson(response, 500, { error: "down" }));
    try {
      const result = await runCliAsync(
        [
          "run",
          "--model",
          "openai-compatible:flaky",
          "--base-url",
          `${server.origin}/v1`,
          "--max-retries",
          "0",
          "--infra-retries",
          "1",
          "--instances",
          "swegate-demo__calculator-1",
          "--json",
          ...common("infra-store"),
        ],
        { env },
      );
      expect(result.code, result.stderr).toBe(0);
      const [outcome] = endEvents(result.stdout).slice(-1);
      expect(outcome).toMatchObject({ status: "infra_error", verified: false });
      expect(outcome?.error).toContain("HTTP 500");
    } finally {
      await server.close();
    }
  });

  it("stops starting instances once --max-cost-usd is spent, and refuses a limit that is not a number", async () => {
    // Every call costs $1: a million prompt tokens at $1 per million.
    const server = await serveJson((_seen, response) =>
      answerJson(response, 200, chatCompletion("no edits", { prompt: 1_000_000, completion: 0 })),
    );
    const prices = join(scratch, "prices.json");
    writeFileSync(
      prices,
      JSON.stringify({ "openai-compatible:costly": { input: 1, output: 0, cache_read: 0, cache_write: 0 } }),
    );
    const model = ["--model", "openai-compatible:costly", "--base-url", `${server.origin}/v1`];
    try {
      const result = await runCliAsync(
        [
          "run",
          ...model,
          "--prices",
          prices,
          "--max-cost-usd",
          "1.5",
          "--max-attempts",
          "1",
          "--instances",
          "swegate-demo__calculator-1,swegate-demo__calculator-2,swegate-demo__textutils-1",
          "--run-id",
          "budget",
          "--json",
          ...common("budget-store"),
          "--workers",
          "1",
        ],
        { env },
      );
      expect(result.code, result.stderr).toBe(0);
      const ended = endEvents(result.stdout);
      expect(ended.map((outcome) => outcome.cost_usd)).toEqual([1, 1]); // the third never started
      const store = openStore(join(scratch, "budget-store"));
      expect(store.getRun("budget")?.status).toBe("budget_exceeded");
      store.close();
    } finally {
      await server.close();
    }
    const bad = runCli(["run", ...model, "--max-cost-usd", "ten", ...common("budget-bad")], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toContain("--max-cost-usd=ten");
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("with --tools, runs the model's read-only tool calls on the base checkout and records them", async () => {
    const reply = (message: Record<string, unknown>) => ({
      choices: [{ message: { role: "assistant", ...message }, finish_reason: "stop" }],
      usage: { prompt_tokens: 10, completion_tokens: 5, completion_tokens_details: { reasoning_tokens: 3 } },
    });
    const call = (id: string, name: string, args: unknown) => ({
      id,
      type: "function",
      function: { name, arguments: JSON.stringify(args) },
    });
    const answers = [
      reply({
        content: null,
        tool_calls: [
          call("c1", "search_code", { pattern: "def divide" }),
          call("c2", "view_file", { path: "tests/test_ops.py" }),
        ],
      }),
      reply({ content: null, tool_calls: [call("c3", "view_file", { path: "calculator/ops.py" })] }),
      reply({
        content:
          "Floor division.\n\ncalculator/ops.py\n```python\n<<<<<<< SEARCH\n    return a // b\n=======\n    return a / b\n>>>>>>> REPLACE\n```\n",
      }),
    ];
    const server = await serveJson((_seen, response, index) =>
      answerJson(response, 200, answers[Math.min(index, answers.length - 1)]),
    );
    try {
      const result = await runCliAsync(
        [
          "run",
          "--model",
          "openai-compatible:tool-user",
          "--base-url",
          `${server.origin}/v1`,
          "--tools",
          "--instances",
          "swegate-demo__calculator-1",
          "--run-id",
          "tools",
          "--json",
          ...common("tools-store"),
        ],
        { env },
      );
      expect(result.code, result.stderr).toBe(0);
      const [outcome] = endEvents(result.stdout);
      expect(outcome).toMatchObject({ status: "verified", attempts_made: 1 });
      // Three calls: their thinking is part of the output and also counted on its own.
      expect(outcome?.tokens).toMatchObject({ input: 30, output: 15, reasoning: 9 });
      const bodies = server.seen.map((request) => request.body) as {
        messages: Record<string, unknown>[];
        tools?: unknown[];
      }[];
      expect(bodies).toHaveLength(3);
      expect(
        ((bodies[0]?.tools ?? []) as { function: { name: string } }[]).map((tool) => tool.function.name),
      ).toEqual(["view_file", "search_code", "list_folder"]);
      const results = bodies[1]?.messages.filter((message) => message.role === "tool") ?? [];
      expect(results.map((message) => message.tool_call_id)).toEqual(["c1", "c2"]);
      expect(String(results[0]?.content)).toContain("calculator/ops.py:12:");
      // The test file as of base_commit: the hidden F2P test the red gate applied is not there.
      expect(String(results[1]?.content)).toContain("def test_subtract");
      expect(String(results[1]?.content)).not.toContain("test_divide_fraction");
      const store = openStore(join(scratch, "tools-store"));
      const [attempt] = store.getAttempts("tools", "swegate-demo__calculator-1");
      store.close();
      expect(attempt?.tool_calls).toEqual([
        { name: "search_code", arguments: { pattern: "def divide" } },
        { name: "view_file", arguments: { path: "tests/test_ops.py" } },
        { name: "view_file", arguments: { path: "calculator/ops.py" } },
      ]);
      expect(attempt?.usage.inputTokens).toBe(30); // three calls in one attempt
    } finally {
      await server.close();
    }
  });

  it("replays a recorded transcript with no model and the same outcome", () => {
    // Its own recording: the demo model on calculator-2, which needs two attempts.
    const only = ["--instances", "swegate-demo__calculator-2", "--json"];
    const recorded = runCli(["run", ...only, ...common("record-store")], { env });
    expect(recorded.code, recorded.stderr).toBe(0);
    expect(endEvents(recorded.stdout)[0]).toMatchObject({ status: "verified", attempts_made: 2 });
    const store = openStore(join(scratch, "record-store"));
    const runId = store.listRuns()[0]?.run_id as string;
    store.close();
    const transcript = join(
      scratch,
      "record-store",
      "runs",
      runId,
      "swegate-demo__calculator-2",
      "transcript.jsonl",
    );
    const replayed = runCli(["run", "--model", `replay:${transcript}`, ...only, ...common("replay-store")], {
      env,
    });
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(endEvents(replayed.stdout)[0]).toMatchObject({ status: "verified", attempts_made: 2 });
  });

  it("refuses a run the store says another machine's process is running, unless --takeover", async () => {
    const storeDir = join(scratch, "owned-store");
    const store = openStore(storeDir);
    const now = new Date().toISOString();
    store.createRun({
      run_id: "owned",
      created_at: now,
      updated_at: now,
      status: "running",
      model: "oracle",
      mode: "oracle",
      dataset_source: "demo",
      dataset_digest: (await loadDemoDataset()).digest,
      selection: ["swegate-demo__calculator-1"],
      // As a store from before runs recorded their settings.
      config: {},
      swegate_version: "test",
      owner: { host: "another-machine", pid: 4242, started: "1" },
    });
    store.close();
    const args = [
      "run",
      "--model",
      "oracle",
      "--run-id",
      "owned",
      "--instances",
      "swegate-demo__calculator-1",
    ];
    const refused = runCli([...args, ...common("owned-store")], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("run owned is being run by process 4242 on another-machine");
    expect(refused.stderr).toContain("--takeover");
    const taken = runCli([...args, "--takeover", "--json", ...common("owned-store")], { env });
    expect(taken.code, taken.stderr).toBe(0);
    expect(taken.stderr).toContain(
      "run owned was recorded before swegate kept max_attempts, timeout, tools, context_tokens, localize, reproduce, backend, python, python_config, env, debian_mirror, spec_env, index_url, exclude_newer, base_url, healthy_only: those come from the flags given, else the defaults",
    );
    expect(endEvents(taken.stdout).map((item) => item.status)).toEqual(["verified"]);
    const after = openStore(storeDir);
    expect(after.getRun("owned")).toMatchObject({ status: "completed", owner: null });
    after.close();
  });

  it("survives SIGKILL mid-run: the resume finishes the rest and every instance is recorded exactly once", async () => {
    const storeDir = join(scratch, "killed-store");
    const args = [
      swegateBin,
      "run",
      "--json",
      "--run-id",
      "killed-run",
      ...common("killed-store"),
      "--workers",
      "1",
    ];
    const finishedBeforeKill = await new Promise<string[]>((resolve) => {
      const child = spawn(process.execPath, args, {
        env: { ...process.env, ...env, SWEGATE_FROM_SOURCE: "1" },
      });
      const seen: string[] = [];
      let buffer = "";
      child.stdout.on("data", (chunk) => {
        buffer += chunk;
        const lines = buffer.split("\n");
        buffer = lines.pop() ?? "";
        for (const line of lines) {
          const event = JSON.parse(line);
          if (event.type === "instance-end") {
            seen.push(event.result.instance_id);
            if (seen.length === 2) child.kill("SIGKILL");
          }
        }
      });
      child.on("close", () => resolve(seen));
    });
    expect(finishedBeforeKill.length).toBeGreaterThanOrEqual(2);
    let store = openStore(storeDir);
    const before = new Map(
      store.getInstanceResults("killed-run").map((item) => [item.instance_id, item.finished_at]),
    );
    store.close();
    expect(before.size).toBeLessThan(5);
    // Still marked running in the store, but its process is gone: listed as interrupted.
    const listed = runCli(["runs", "--json", "--store", storeDir]);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ run_id: "killed-run", status: "interrupted" }),
    ]);
    const resumed = runCli(["run", "--resume", "killed-run", "--json", ...common("killed-store")], { env });
    expect(resumed.code, resumed.stderr).toBe(0);
    store = openStore(storeDir);
    const after = store.getInstanceResults("killed-run");
    store.close();
    expect(after.map((item) => item.instance_id).sort()).toEqual(
      [...new Set(after.map((item) => item.instance_id))].sort(),
    );
    expect(after).toHaveLength(5);
    for (const [id, finishedAt] of before)
      expect(after.find((item) => item.instance_id === id)?.finished_at).toBe(finishedAt);
  });
});
