import { mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeInstance } from "../../dataset/test-support/make-instance.js";
import { isolationAvailable } from "../../exec/isolated-backend.js";
import { requireSandbox } from "../../exec/test-support/require-sandbox.js";
import { commitFiles, makeGitRepo } from "../../workspace/test-support/make-git-repo.js";
import { runCli } from "../test-support/run-cli.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-context-cli-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** `widgets/render.py`: enough functions that the file is shown as an outline plus pieces. */
function renderModule(): string {
  const parts = ['"""Rendering."""', "import html", ""];
  for (let index = 0; index < 400; index++)
    parts.push(
      "",
      `def render_part_${index}(value):`,
      `    """Renders part ${index}."""`,
      `    return html.escape(str(value)) * ${index}`,
    );
  parts.push("", "", "def render_title(title):", '    """The page title."""', "    return title.upper()", "");
  return `${parts.join("\n")}\n`;
}

describe("swegate context", () => {
  it("prints what attempt 1 shows and scores it against the gold patch, which never reaches the prompt", () => {
    const module = renderModule();
    const titleLine = module.split("\n").findIndex((line) => line.startsWith("def render_title")) + 1;
    const repo = makeGitRepo(
      {
        "widgets/__init__.py": "",
        "widgets/render.py": module,
        "tests/test_render.py": "def test_ok():\n    pass\n",
      },
      join(scratch, "repos", "acme+widgets"),
    );
    // A later commit (the fix as upstream made it): the checkout is at base_commit, so it stays unseen.
    commitFiles(repo.dir, { "widgets/later.py": "FUTURE_ONLY_MARKER = 1\n" }, "later");
    const patch = [
      "diff --git a/widgets/render.py b/widgets/render.py",
      "--- a/widgets/render.py",
      "+++ b/widgets/render.py",
      `@@ -${titleLine},3 +${titleLine},3 @@`,
      " def render_title(title):",
      '     """The page title."""',
      "-    return title.upper()",
      "+    return title.title()  # GOLD_ONLY_MARKER",
      "",
    ].join("\n");
    const testPatch = [
      "diff --git a/tests/test_render.py b/tests/test_render.py",
      "--- a/tests/test_render.py",
      "+++ b/tests/test_render.py",
      "@@ -1,2 +1,5 @@",
      " def test_ok():",
      "     pass",
      "+",
      "+def test_TEST_ONLY_MARKER():",
      "+    assert render_title('a b') == 'A B'",
      "",
    ].join("\n");
    const row = {
      instance_id: "acme__widgets-1",
      repo: "acme/widgets",
      base_commit: repo.commit,
      patch,
      test_patch: testPatch,
      problem_statement: "`render_title` shouts: the title should be in title case, not upper case.",
      hints_text: "HINT_ONLY_MARKER",
      created_at: "2024-01-01T00:00:00Z",
      version: "1.0",
      FAIL_TO_PASS: ["tests/test_render.py::test_TEST_ONLY_MARKER"],
      PASS_TO_PASS: [],
      environment_setup_commit: repo.commit,
    };
    const dataset = join(scratch, "rows.jsonl");
    writeFileSync(dataset, `${JSON.stringify(row)}\n`);
    // A small budget, so the module is shown as an outline plus pieces rather than whole.
    const where = ["--context-tokens", "3000", "--cache-dir", join(scratch, "cache")];
    where.push("--repo-url", join(scratch, "repos", "{owner}+{name}"));

    const scored = runCli(["context", dataset, "--json", "--score", ...where]);
    expect(scored.stderr).toBe("");
    expect(scored.code).toBe(0);
    const [line, summary] = scored.stdout
      .trim()
      .split("\n")
      .map((text) => JSON.parse(text));
    expect(line.instance_id).toBe("acme__widgets-1");
    expect(line.tokens).toBeGreaterThan(0);
    expect(line.budget).toBe(3000);
    const render = line.files.find((file: { path: string }) => file.path === "widgets/render.py");
    expect(render.reason).toBe("symbol");
    // The function, whole (with the short one above it, its neighbour).
    const piece = render.ranges.find(
      ([start, end]: [number, number]) => start <= titleLine && titleLine + 2 <= end,
    );
    expect(piece).toBeDefined();
    expect(line.score).toMatchObject({ editedFiles: ["widgets/render.py"], hunks: 1, coveredHunks: 1 });
    expect(summary.summary).toMatchObject({ instances: 1, fileCoverage: 1, hunkCoverage: 1 });

    const shown = runCli(["context", dataset, "--message", ...where]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`widgets/render.py lines ${piece[0]}-${piece[1]}:`);
    expect(shown.stdout).toContain("    return title.upper()");
    for (const marker of [
      "GOLD_ONLY_MARKER",
      "TEST_ONLY_MARKER",
      "FUTURE_ONLY_MARKER",
      "HINT_ONLY_MARKER",
      "title.title()",
    ])
      expect(shown.stdout).not.toContain(marker);

    const readable = runCli(["context", dataset, "--score", ...where]);
    expect(readable.stdout).toContain(`widgets/render.py (symbol): outline + lines`);
    expect(readable.stdout).toContain("files 1/1, hunks 1/1");
    expect(readable.stdout.split("\n")[0]).toBe("budget 3000 tokens of code (--context-tokens)");

    // Without the flag, the budget `run` would use for the model's family (no call is made).
    const cache = where.slice(2);
    const haiku = runCli(["context", dataset, "--model", "anthropic:claude-haiku-4-5", ...cache]);
    expect(haiku.stdout.split("\n")[0]).toBe(
      "budget 32000 tokens of code (the default for Claude Haiku, anthropic:claude-haiku-4-5)",
    );
    const other = runCli(["context", dataset, "--json", "--model", "openai-compatible:local-7b", ...cache]);
    expect(JSON.parse(other.stdout.split("\n")[0] ?? "").budget).toBe(24000);

    const zero = runCli(["context", dataset, "--context-tokens", "0", ...cache]);
    expect(zero.code).toBe(2);
    expect(zero.stderr.trim().split("\n")).toHaveLength(1);
    expect(zero.stderr).toContain("--context-tokens");
  });
});

const noSandbox = requireSandbox(
  "swegate context --reproduce",
  isolationAvailable() ? undefined : "bubblewrap cannot create namespaces here (apt-get install bubblewrap)",
);

describe.skipIf(noSandbox)("swegate context --reproduce", () => {
  it("runs the issue's code in the isolated backend and shows the file its traceback names", () => {
    const repo = makeGitRepo(
      {
        "shop/__init__.py": "",
        "shop/cart.py":
          "from shop.prices import price\n\n\ndef total(items):\n    return sum(price(i) for i in items)\n",
        "shop/prices.py": "PRICES = {'apple': 2}\n\n\ndef price(item):\n    return PRICES[item]\n",
      },
      join(scratch, "repos", "acme+shop"),
    );
    const { extra: _, ...row } = makeInstance({
      instance_id: "acme__shop-1",
      base_commit: repo.commit,
      problem_statement:
        "An unknown item gives KeyError:\n```python\nfrom shop.cart import total\ntotal(['pear'])\n```\n",
      FAIL_TO_PASS: ["tests/test_cart.py::test_unknown"],
    });
    const dataset = join(scratch, "shop.jsonl");
    writeFileSync(dataset, `${JSON.stringify(row)}\n`);
    const where = [
      "--cache-dir",
      join(scratch, "cache"),
      "--repo-url",
      join(scratch, "repos", "{owner}+{name}"),
    ];
    const ran = runCli(["context", dataset, "--json", "--reproduce", ...where]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toContain(
      "acme__shop-1: ran the issue's code (1 block): it raised KeyError as the issue says",
    );
    const files = JSON.parse(ran.stdout.trim().split("\n")[0] ?? "").files;
    expect(files.find((file: { path: string }) => file.path === "shop/prices.py")?.reason).toBe("traceback");
    // Without the flag nothing is run.
    const plain = runCli(["context", dataset, "--json", ...where]);
    expect(plain.stderr).toBe("");
  });
});
