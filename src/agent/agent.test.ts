import { mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/test-support/run-cli.js";
import { makeInstance } from "../dataset/test-support/make-instance.js";
import { createHostBackend } from "../exec/host-backend.js";
import { runInstanceTests } from "../grading/run-instance-tests.js";
import type { Model } from "../model/model.js";
import type { InstanceResult } from "../store/records.js";
import { diffWorkspace } from "../workspace/diff-workspace.js";
import { makeGitRepo } from "../workspace/test-support/make-git-repo.js";
import { buildContext } from "./build-context.js";
import { createBlindChecker, findCoveringTests } from "./create-blind-checker.js";
import { findMentionedPaths } from "./find-mentioned-paths.js";
import { rankFilesBm25 } from "./rank-files-bm25.js";
import { runAttemptLoop } from "./run-attempt-loop.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-agent-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

const files = {
  "shop/__init__.py": "",
  "shop/cart.py":
    "def total(prices):\n    return sum(prices)\n\n\ndef discount(price, rate):\n    return price * (1 - rate)\n",
  "shop/shipping.py": "def shipping_cost(weight):\n    return 5 + weight\n",
  "tests/test_cart.py": "from shop.cart import total\n\n\ndef test_total():\n    assert total([1, 2]) == 3\n",
};

const instanceFor = (base: string, problem: string) =>
  makeInstance({
    instance_id: "shop__shop-1",
    base_commit: base,
    problem_statement: problem,
    hints_text: "secret hint",
  });

describe("context building", () => {
  it("puts files the issue names first, then lexical matches, within the budget, and never the hints", async () => {
    const repo = makeGitRepo(files, join(scratch, "context"));
    const instance = instanceFor(
      repo.commit,
      'Traceback:\n  File "/site-packages/shop/shipping.py", line 2\nshipping_cost is wrong; also the discount rate',
    );
    const context = await buildContext({ instance, dir: repo.dir, tokenBudget: 10_000 });
    // A traceback frame names the file (and, inside it, the function).
    expect(context.files[0]).toMatchObject({ path: "shop/shipping.py", reason: "traceback" });
    expect(context.files.map((file) => file.path)).toContain("shop/cart.py");
    expect(context.issue).not.toContain("secret hint");
    const tight = await buildContext({ instance, dir: repo.dir, tokenBudget: 15 });
    expect(tight.fileTokens).toBeLessThanOrEqual(15);
    expect(findMentionedPaths("see shop.cart.discount", ["shop/cart.py"])).toEqual(["shop/cart.py"]);
    expect(
      rankFilesBm25(
        "discount rate",
        new Map([
          ["a.py", "def discount(rate): pass"],
          ["b.py", "x = 1"],
        ]),
      )[0]?.path,
    ).toBe("a.py");
  });
});

describe("blind checks (only what a developer has)", () => {
  it("never shows the model the hidden tests the red gate left applied, nor their run's leftovers", async () => {
    const repo = makeGitRepo(files, join(scratch, "no-leak"));
    // What a red gate leaves behind: test_patch applied (a changed and a new test file) and test output.
    writeFileSync(
      join(repo.dir, "tests/test_cart.py"),
      "def test_total_hidden_secret():\n    assert cart_total_hidden == 3\n",
    );
    writeFileSync(join(repo.dir, "tests/test_hidden_new.py"), "def test_hidden_secret_new():\n    pass\n");
    const prompts: string[] = [];
    const model: Model = {
      id: "capture",
      scripted: true,
      async complete(request) {
        prompts.push(request.messages.map((message) => message.content).join("\n"));
        return {
          ok: true,
          text: "no edits",
          usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
          costUsd: 0,
          durationMs: 0,
          stopReason: "end_turn",
          raw: null,
        };
      },
    };
    const loop = await runAttemptLoop({
      instance: instanceFor(repo.commit, "the cart total is wrong (see tests/test_cart.py)"),
      model,
      dir: repo.dir,
      maxAttempts: 1,
      mode: "oracle",
      check: async () => ({ passed: false, feedback: "no", summary: "no" }),
    });
    expect(loop.attempts).toHaveLength(1);
    expect(prompts).toHaveLength(1);
    expect(prompts[0]).toContain("assert total([1, 2]) == 3"); // the test file at base
    expect(prompts[0]).not.toContain("hidden_secret");
    expect(prompts[0]).not.toContain("cart_total_hidden");
  });

  it("finds the existing tests of a changed module and reports a regression against base", async () => {
    const repo = makeGitRepo(files, join(scratch, "blind"));
    const instance = instanceFor(repo.commit, "total is slow");
    expect(await findCoveringTests(repo.dir, ["shop/cart.py"])).toEqual(["tests/test_cart.py"]);
    const backend = createHostBackend();
    const check = createBlindChecker({
      backend,
      baseCommit: repo.commit,
      timeoutSeconds: 120,
      runVisibleTests: async (dir, testFiles) => {
        const pseudo = {
          ...instance,
          test_patch: testFiles.map((file) => `diff --git a/${file} b/${file}\n`).join(""),
        };
        const run = await runInstanceTests({ instance: pseudo, dir, backend, timeoutSeconds: 120 });
        return { statuses: run.statuses, log: run.log, timedOut: run.timedOut };
      },
    });
    writeFileSync(
      join(repo.dir, "shop/cart.py"),
      files["shop/cart.py"].replace("return sum(prices)", "return sum(prices) + 1"),
    );
    const broken = await check({
      dir: repo.dir,
      patch: await diffWorkspace(repo.dir, repo.commit),
      attemptNumber: 1,
    });
    expect(broken).toMatchObject({ passed: false, failureClass: "regression" });
    expect(broken.feedback).toContain("tests/test_cart.py::test_total");
    writeFileSync(
      join(repo.dir, "shop/cart.py"),
      files["shop/cart.py"].replace("return sum(prices)", "return sum(prices"),
    );
    const syntax = await check({
      dir: repo.dir,
      patch: await diffWorkspace(repo.dir, repo.commit),
      attemptNumber: 2,
    });
    expect(syntax.passed).toBe(false);
    expect(syntax.feedback).toContain("Syntax check failed");
  });

  it("blind mode on the demo: the wrong first answer passes the visible checks, so the hidden tests decide — failed, 1 attempt", () => {
    const result = runCli([
      "run",
      "--mode",
      "blind",
      "--json",
      "--cache-dir",
      join(scratch, "cache"),
      "--store",
      join(scratch, "store"),
      "--instances",
      "swegate-demo__calculator-1,swegate-demo__calculator-2",
    ]);
    expect(result.code, result.stderr).toBe(0);
    const results = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line))
      .filter((event) => event.type === "instance-end")
      .map((event) => event.result as InstanceResult);
    const byId = new Map(results.map((item) => [item.instance_id, item]));
    expect(byId.get("swegate-demo__calculator-1")).toMatchObject({
      status: "verified",
      feedback_mode: "blind",
    });
    expect(byId.get("swegate-demo__calculator-2")).toMatchObject({
      status: "failed",
      attempts_made: 1,
      feedback_mode: "blind",
    });
    expect(byId.get("swegate-demo__calculator-2")?.feedback_history).toEqual([]);
  });
});
