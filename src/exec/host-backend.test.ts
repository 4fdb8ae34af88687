import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createHostBackend } from "./host-backend.js";
import { loadPythonConfig, resolvePython } from "./python-config.js";
import { extractTestRun, newNonce, wrapTestCommand } from "./test-script.js";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "swegate-exec-"));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function processesMatching(tag: string): string[] {
  try {
    return execFileSync("pgrep", ["-f", tag], { encoding: "utf8" }).trim().split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

describe("host backend", () => {
  const backend = createHostBackend();

  it("merges stdout and stderr in arrival order through one pipe", async () => {
    const script = "for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done; exit 3";
    const result = await backend.run(script, { cwd: tempDir(), timeoutSeconds: 30 });
    expect(result.exitCode).toBe(3);
    expect(result.output.trim().split("\n")).toEqual([
      "out1",
      "err1",
      "out2",
      "err2",
      "out3",
      "err3",
      "out4",
      "err4",
      "out5",
      "err5",
    ]);
  });

  it("kills the whole process group at the timeout, grandchildren holding the pipe included", async () => {
    const tag = `swegate-hang-${newNonce()}`;
    const script = `bash -c 'exec -a ${tag} sleep 1000' & sleep 1000`;
    const result = await backend.run(script, { cwd: tempDir(), timeoutSeconds: 1 });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
    expect(processesMatching(tag)).toEqual([]);
  });

  it("kills the whole process group when the run is interrupted, and says so", async () => {
    const tag = `swegate-interrupt-${newNonce()}`;
    const controller = new AbortController();
    const script = `echo started; bash -c 'exec -a ${tag} sleep 1000' & sleep 1000`;
    const running = backend.run(script, {
      cwd: tempDir(),
      timeoutSeconds: 600,
      signal: controller.signal,
      onOutput: (chunk) => chunk.includes("started") && controller.abort(),
    });
    const result = await running;
    expect(result).toMatchObject({ exitCode: null, timedOut: false });
    expect(result.output).toContain("started");
    expect(result.output).toContain("[swegate: interrupted]");
    expect(processesMatching(tag)).toEqual([]);
    // Already interrupted: nothing starts.
    const after = await backend.run(`echo never-${tag}`, {
      cwd: tempDir(),
      timeoutSeconds: 5,
      signal: controller.signal,
    });
    expect(after.output).not.toContain("never");
  });

  it("ends the process group shortly after its deadline even when swegate itself is killed outright", async () => {
    const tag = `swegate-orphan-${newNonce()}`;
    // A separate Node process runs a command with a 3 s timeout, and is SIGKILLed while it runs.
    const code = [
      'const { register } = await import("tsx/esm/api");',
      "register();",
      `const { createHostBackend } = await import(${JSON.stringify(join(import.meta.dirname, "host-backend.ts"))});`,
      // The tag comes through the environment: on this command line, pgrep would find the runner itself.
      'await createHostBackend().run("echo started; exec -a " + process.env.ORPHAN_TAG + " sleep 1000", {',
      `  cwd: ${JSON.stringify(tempDir())}, timeoutSeconds: 3,`,
      '  onOutput: (chunk) => chunk.includes("started") && console.log("started"),',
      "});",
    ].join("\n");
    const runner = spawn(process.execPath, ["--input-type=module", "-e", code], {
      cwd: join(import.meta.dirname, "..", ".."),
      env: { ...process.env, ORPHAN_TAG: tag },
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<void>((resolve) =>
      runner.stdout.on("data", (chunk) => String(chunk).includes("started") && resolve()),
    );
    // "started" comes before the exec: wait until the sleep itself runs under its tag.
    for (let waited = 0; waited < 100 && processesMatching(tag).length === 0; waited++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    runner.kill("SIGKILL");
    expect(processesMatching(tag)).toHaveLength(1); // orphaned: nobody is left to kill it at 3 s
    for (let waited = 0; waited < 300 && processesMatching(tag).length > 0; waited++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(processesMatching(tag)).toEqual([]);
  }, 60_000);

  it("kills a hanging pytest test at the timeout and leaves no process", async () => {
    const dir = tempDir();
    const tag = newNonce();
    // A file name of its own: other test files hang pytest tests of their own at the same time.
    const file = `test_hang_${tag}.py`;
    writeFileSync(join(dir, file), "import time\ndef test_hang():\n    time.sleep(1000)\n");
    const result = await backend.run(`python3 -m pytest -q -p no:cacheprovider ${file}`, {
      cwd: dir,
      timeoutSeconds: 3,
    });
    expect(result.timedOut).toBe(true);
    expect(processesMatching(file)).toEqual([]);
  });

  it("caps output keeping head and tail and counting what was dropped", async () => {
    const script = "echo FIRST; head -c 200000 /dev/zero | tr '\\0' x; echo; echo LAST";
    const result = await backend.run(script, {
      cwd: tempDir(),
      timeoutSeconds: 30,
      outputLimitBytes: 10_000,
    });
    expect(result.output.startsWith("FIRST\n")).toBe(true);
    expect(result.output.trimEnd().endsWith("LAST")).toBe(true);
    expect(result.truncatedBytes).toBeGreaterThan(180_000);
    expect(result.output).toContain("bytes of output dropped here");
  });

  it("makes the workspace's src/ layout importable and controls the locale", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "src", "widget"), { recursive: true });
    writeFileSync(join(dir, "src", "widget", "__init__.py"), "NAME = 'widget'\n");
    const result = await backend.run(
      "python3 -c 'import widget, os; print(widget.NAME, os.environ[\"LC_ALL\"])'",
      {
        cwd: dir,
        timeoutSeconds: 30,
      },
    );
    expect(result.output.trim()).toBe("widget C.UTF-8");
  });

  it("does not pass the user's own variables to the tests (PYTEST_ADDOPTS would change the log)", async () => {
    process.env.PYTEST_ADDOPTS = "-q --tb=no";
    try {
      const result = await backend.run("printenv PYTEST_ADDOPTS || echo unset", {
        cwd: tempDir(),
        timeoutSeconds: 30,
      });
      expect(result.output.trim()).toBe("unset");
    } finally {
      delete process.env.PYTEST_ADDOPTS;
    }
  });

  it("uses the configured interpreter and reports its version", async () => {
    const python = execFileSync("bash", ["-c", "command -v python3"], { encoding: "utf8" }).trim();
    const configured = createHostBackend({ python });
    const description = await configured.describe({ cwd: tempDir() });
    expect(description.pythonVersion).toMatch(/^Python 3\.\d+\.\d+/);
    const result = await configured.run("python -c 'import sys; print(sys.executable)'", {
      cwd: tempDir(),
      timeoutSeconds: 30,
    });
    expect(result.exitCode).toBe(0);
  });
});

describe("test scripts with a start marker", () => {
  const backend = createHostBackend();

  it("grades only what follows the genuine start marker and takes the exit status from the process", async () => {
    const nonce = newNonce();
    // The test prints a fake start marker, an old-style end marker with exit=0 and a fake PASSED line, then fails.
    const command = `echo '>>>>> swegate-start ${nonce}'; echo 'PASSED tests/test_x.py::test_a'; echo '>>>>> swegate-end ${nonce} exit=0'; exit 1`;
    const result = await backend.run(wrapTestCommand({ command, nonce, setup: ["echo setting up"] }), {
      cwd: tempDir(),
      timeoutSeconds: 30,
    });
    const run = extractTestRun(result.output, nonce, result.exitCode);
    expect(run.complete).toBe(true);
    expect(run.exitCode).toBe(1);
    expect(run.log).not.toContain("setting up");
    expect(run.log).toContain("PASSED tests/test_x.py::test_a");
    // The genuine marker is the first one: the fake one stays inside the graded log.
    expect(run.log.startsWith(`>>>>> swegate-start ${nonce}\nPASSED`)).toBe(true);
  });

  it("the script knows no secret: its text carries nothing a test could use to end the log early", () => {
    const script = wrapTestCommand({ command: "pytest -rA", nonce: "n0nce" });
    expect(script).not.toMatch(/swegate-end|exit=/);
  });

  it("treats a run that was killed (no exit status) or never started as incomplete", () => {
    const nonce = newNonce();
    const run = extractTestRun(`>>>>> swegate-start ${nonce}\ncollected 3 items\n`, nonce, null);
    expect(run).toEqual({ log: "collected 3 items\n", exitCode: null, complete: false });
    expect(extractTestRun("ImportError before anything\n", nonce, 0).complete).toBe(false);
  });
});

describe("interpreter configuration", () => {
  it("prefers --python, then repo@version, then repo, then *", () => {
    const config = { "*": "/any", "a/b": "/repo", "a/b@1.0": "/exact" };
    expect(resolvePython(config, { repo: "a/b", version: "1.0" })).toBe("/exact");
    expect(resolvePython(config, { repo: "a/b", version: "2.0" })).toBe("/repo");
    expect(resolvePython(config, { repo: "c/d", version: "1" })).toBe("/any");
    expect(resolvePython(config, { repo: "a/b", version: "1.0" }, "/flag")).toBe("/flag");
    expect(resolvePython(undefined, { repo: "a/b", version: "1.0" })).toBe("python3");
  });

  it("names the file of a bad config", () => {
    const file = join(tempDir(), "pythons.yaml");
    writeFileSync(file, "sympy/sympy@1.1: [not, a, path]\n");
    expect(() => loadPythonConfig(file)).toThrow(/sympy\/sympy@1.1/);
  });
});
