import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Containment } from "./contain-script.js";
import { createHostBackend } from "./host-backend.js";
import { pidNamespaceArgs } from "./pid-namespace.js";
import { newNonce } from "./test-script.js";
import { requireSandbox } from "./test-support/require-sandbox.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-contain-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

/**
 * Processes (other than this one) whose command line or environment holds `tag`, read from /proc
 * directly: `pgrep -f` once matched a runner whose own command line held the tag.
 */
function processesWithTag(tag: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    for (const file of ["cmdline", "environ"]) {
      try {
        const text = readFileSync(`/proc/${entry}/${file}`, "latin1");
        if (text.includes(tag)) found.push(`${entry} ${text.split("\0").join(" ").slice(0, 200)}`);
      } catch {
        // Gone, or not ours to read.
      }
    }
  }
  return found;
}

/** Waits up to `ms` for the tagged processes to go (a SIGKILLed process takes a moment to be gone). */
async function leftAfter(tag: string, ms = 1000): Promise<string[]> {
  for (let waited = 0; waited < ms && processesWithTag(tag).length > 0; waited += 50)
    await new Promise((resolve) => setTimeout(resolve, 50));
  return processesWithTag(tag);
}

const modes: { containment: Containment; why?: string }[] = [
  {
    containment: "auto",
    why: pidNamespaceArgs()
      ? undefined
      : "needs a PID namespace (unshare --pid, as root or with user namespaces)",
  },
  { containment: "tag" },
];

describe.each(modes)("host backend, containment $containment", ({ containment, why }) => {
  const run = requireSandbox(`the host backend's ${containment} containment`, why) ? it.skip : it;
  const backend = createHostBackend({ containment });

  // Each run's processes carry a tag of their own in their environment (CONTAIN_TAG), looked up after.
  run(
    "ends at its timeout a script whose setsid'd grandchild holds the output pipe, and leaves nothing",
    async () => {
      const tag = `swegate-setsid-${newNonce()}`;
      const script = "setsid sh -c 'sleep 1000' & sleep 0.2; kill -0 $! && echo alive; sleep 1000";
      const result = await backend.run(script, {
        cwd: scratch,
        timeoutSeconds: 1,
        env: { CONTAIN_TAG: tag },
      });
      expect(result).toMatchObject({ timedOut: true, exitCode: null });
      expect(result.output).toBe("alive\n");
      expect(result.durationMs).toBeLessThan(6000);
      expect(await leftAfter(tag)).toEqual([]);
    },
    20_000,
  );

  run(
    "ends at its timeout a script whose setsid'd writer keeps writing to the pipe, and leaves nothing",
    async () => {
      const tag = `swegate-writer-${newNonce()}`;
      const script = "setsid sh -c 'while :; do echo tick; sleep 0.05; done' & sleep 1000";
      const result = await backend.run(script, {
        cwd: scratch,
        timeoutSeconds: 1,
        env: { CONTAIN_TAG: tag },
      });
      expect(result.timedOut).toBe(true);
      expect(result.output).toContain("tick");
      expect(result.durationMs).toBeLessThan(6000);
      expect(await leftAfter(tag)).toEqual([]);
    },
    20_000,
  );

  run(
    "returns at once when the script exits leaving a setsid'd orphan, and the orphan goes with it",
    async () => {
      const tag = `swegate-orphan-${newNonce()}`;
      const script = "setsid sleep 1000 & sleep 0.2; kill -0 $! && echo alive; exit 0";
      const result = await backend.run(script, {
        cwd: scratch,
        timeoutSeconds: 60,
        env: { CONTAIN_TAG: tag },
      });
      expect(result).toMatchObject({ exitCode: 0, timedOut: false });
      expect(result.output).toBe("alive\n");
      expect(result.durationMs).toBeLessThan(3000);
      expect(await leftAfter(tag)).toEqual([]);
    },
    20_000,
  );

  run(
    "runs a Django-style runner (./tests/runtests.py) whose tests run in a pool of worker processes",
    async () => {
      const dir = mkdtempSync(join(scratch, "django-"));
      mkdirSync(join(dir, "tests"));
      const runner = [
        "#!/usr/bin/env python3",
        "import multiprocessing, sys, unittest",
        "",
        "class T(unittest.TestCase):",
        "    def test_a(self):",
        "        self.assertEqual(1 + 1, 2)",
        "    def test_b(self):",
        "        self.assertEqual(2 * 2, 4)",
        "",
        "def run(name):",
        "    result = unittest.TestResult()",
        "    unittest.defaultTestLoader.loadTestsFromName(name, sys.modules[__name__]).run(result)",
        "    return name, result.wasSuccessful()",
        "",
        'if __name__ == "__main__":',
        "    with multiprocessing.Pool(2) as pool:",
        '        for name, ok in pool.map(run, ["T.test_a", "T.test_b"]):',
        "            print(f\"{name.split('.')[-1]} (runtests.{name}) ... {'ok' if ok else 'FAIL'}\")",
        "",
      ].join("\n");
      writeFileSync(join(dir, "tests", "runtests.py"), runner, { mode: 0o755 });
      const result = await backend.run("./tests/runtests.py --verbosity 2 --parallel 2", {
        cwd: dir,
        timeoutSeconds: 60,
      });
      expect(result.exitCode, result.output).toBe(0);
      expect(result.output).toBe("test_a (runtests.T.test_a) ... ok\ntest_b (runtests.T.test_b) ... ok\n");
    },
  );

  run("keeps the exit code, and Python's Ctrl-C handler, of the contained script", async () => {
    const script = "python3 -c 'import signal; print(signal.getsignal(signal.SIGINT))'; exit 7";
    const result = await backend.run(script, { cwd: scratch, timeoutSeconds: 30 });
    expect(result.exitCode).toBe(7);
    expect(result.output.trim()).toBe("<built-in function default_int_handler>");
  });

  run(
    "shows a test no API key in the environment of its ancestors (nor of any process it can see, in a namespace)",
    () => {
      const key = `sk-ant-fake-${newNonce()}`;
      // Every environment the test can reach, base64-encoded so that the scrubber cannot hide a leak:
      // this is about what the test can read, not about what reaches the log.
      const script = [
        // As root, a test could unmount the namespace's /proc to find the host's beneath it: it tries
        // (only where it is in a nested PID namespace, so never the host's own /proc).
        'if [ "$(id -u)" = 0 ] && [ "$(readlink /proc/self/ns/pid)" != "$HOST_PID_NAMESPACE" ]; then umount /proc 2>/dev/null; fi',
        "{",
        "  pid=$$",
        '  while [ "$pid" != 0 ] && [ -r "/proc/$pid/status" ]; do',
        '    echo "== ancestor $pid"; cat "/proc/$pid/environ" 2>/dev/null; echo',
        "    pid=$(awk '/^PPid:/ {print $2}' \"/proc/$pid/status\")",
        "  done",
        '  if [ "$SCAN_ALL" = 1 ]; then',
        '    for file in /proc/[0-9]*/environ; do echo "== $file"; cat "$file" 2>/dev/null; echo; done',
        "  fi",
        "} | base64 -w0",
      ].join("\n");
      // A separate Node process that holds the key in its environment from its start, as swegate would.
      const code = [
        'const { register } = await import("tsx/esm/api");',
        "register();",
        `const { createHostBackend } = await import(${JSON.stringify(join(import.meta.dirname, "host-backend.ts"))});`,
        "const result = await createHostBackend({ containment: process.env.CONTAINMENT }).run(process.env.LEAK_SCRIPT, {",
        "  cwd: process.env.LEAK_CWD, timeoutSeconds: 30,",
        "  env: { SCAN_ALL: process.env.SCAN_ALL, HOST_PID_NAMESPACE: process.env.HOST_PID_NAMESPACE },",
        "});",
        "process.stdout.write(result.output);",
      ].join("\n");
      const output = execFileSync(process.execPath, ["--input-type=module", "-e", code], {
        cwd: join(import.meta.dirname, "..", ".."),
        encoding: "utf8",
        env: {
          ...process.env,
          ANTHROPIC_API_KEY: key,
          CONTAINMENT: containment,
          LEAK_SCRIPT: script,
          LEAK_CWD: scratch,
          HOST_PID_NAMESPACE: readlinkSync("/proc/self/ns/pid"),
          // Without a namespace every process of this user is visible, swegate included: only the
          // ancestry is kept clean there (see contain-script.ts).
          SCAN_ALL: containment === "tag" ? "0" : "1",
        },
      });
      const seen = Buffer.from(output.trim(), "base64").toString("latin1");
      expect(seen).toContain("== ancestor");
      expect(seen).toContain("LC_ALL=C.UTF-8"); // it did read environments: the controlled one
      expect(seen.includes(key)).toBe(false);
    },
    60_000,
  );
});
