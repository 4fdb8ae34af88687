import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createServer } from "node:http";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { createIsolatedBackend, isolationAvailable } from "./isolated-backend.js";
import { newNonce } from "./test-script.js";
import { requireSandbox } from "./test-support/require-sandbox.js";

const available = isolationAvailable();
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "swegate-isolated-"));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const skip = requireSandbox(
  "the isolated backend",
  available ? undefined : "bubblewrap cannot create namespaces here (apt-get install bubblewrap)",
);

describe.skipIf(skip)("isolated backend (needs bubblewrap with user namespaces)", () => {
  const backend = available ? createIsolatedBackend() : undefined;

  it("runs python3 -m pytest in the workspace", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "test_ok.py"), "def test_ok():\n    assert 1 + 1 == 2\n");
    const result = await backend?.run("python3 -m pytest -q -p no:cacheprovider test_ok.py", {
      cwd: dir,
      timeoutSeconds: 120,
    });
    expect(result?.exitCode, result?.output).toBe(0);
    expect(result?.output).toContain("1 passed");
  });

  it("cannot reach a server listening on the host's 127.0.0.1", async () => {
    const server = createServer((_request, response) => response.end("secret"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const probe = `python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:${port}', timeout=3).read())"`;
      // The same probe works outside the sandbox, so the failure inside is the isolation.
      const outside = await promisify(execFile)("bash", ["-c", probe], { encoding: "utf8" });
      expect(outside.stdout).toContain("secret");
      const result = await backend?.run(probe, { cwd: tempDir(), timeoutSeconds: 60 });
      expect(result?.exitCode).not.toBe(0);
      expect(result?.output).not.toContain("secret");
    } finally {
      server.close();
    }
  });

  it("cannot write outside its workspace: not the host's /tmp, not a sibling folder, not the home folder", async () => {
    const workspace = tempDir();
    const sibling = tempDir();
    const marker = `swegate-escape-${newNonce()}`;
    const script = [
      `echo x > /tmp/${marker} && echo wrote-tmp`,
      `echo x > ${sibling}/${marker} && echo wrote-sibling`,
      `echo x > ${homedir()}/${marker} && echo wrote-home`,
      `echo x > ${workspace}/inside && echo wrote-workspace`,
    ].join("; ");
    const result = await backend?.run(script, { cwd: workspace, timeoutSeconds: 60 });
    expect(result?.output).toContain("wrote-workspace");
    expect(existsSync(join(workspace, "inside"))).toBe(true);
    expect(existsSync(join("/tmp", marker))).toBe(false);
    expect(existsSync(join(sibling, marker))).toBe(false);
    expect(existsSync(join(homedir(), marker))).toBe(false);
  });

  it("leaves no process behind after a timeout", async () => {
    const tag = `swegate-isolated-hang-${newNonce()}`;
    const result = await backend?.run(`bash -c 'exec -a ${tag} sleep 1000' & sleep 1000`, {
      cwd: tempDir(),
      timeoutSeconds: 2,
    });
    expect(result?.timedOut).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 500));
    let left = "";
    try {
      left = execFileSync("pgrep", ["-f", tag], { encoding: "utf8" });
    } catch {
      left = "";
    }
    expect(left.trim()).toBe("");
  });

  it("keeps a PYTHONPATH folder outside the workspace visible, read-only (the Django test-id shim lives there)", async () => {
    const shim = tempDir();
    writeFileSync(join(shim, "sitecustomize.py"), "import builtins\nbuiltins.SWEGATE_SHIM = 1\n");
    const script = `python3 -c 'import builtins; print("shim", getattr(builtins, "SWEGATE_SHIM", 0))'; echo x > ${shim}/written || echo read-only`;
    const result = await backend?.run(script, {
      cwd: tempDir(),
      timeoutSeconds: 60,
      env: { PYTHONPATH: shim },
    });
    expect(result?.output).toContain("shim 1");
    expect(result?.output).toContain("read-only");
    expect(existsSync(join(shim, "written"))).toBe(false);
  });

  it("reports itself in the environment fingerprint", async () => {
    const description = await backend?.describe({ cwd: tempDir() });
    expect(description).toMatchObject({ backend: "isolated" });
    expect(description?.pythonVersion).toMatch(/^Python 3\./);
  });
});
