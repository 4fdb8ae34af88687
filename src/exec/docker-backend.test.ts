import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDemoRepositories } from "../dataset/demo/build-demo-repositories.js";
import { loadDemoDataset } from "../dataset/demo/load-demo-dataset.js";
import type { Instance } from "../dataset/instance.js";
import { runGreenGate } from "../grading/green-gate.js";
import { runRedGate } from "../grading/red-gate.js";
import { createWorkspace, type Workspace } from "../workspace/create-workspace.js";
import { createRepoCache } from "../workspace/repo-cache.js";
import type { Backend } from "./backend.js";
import { createDockerBackend, officialImageFor } from "./docker-backend.js";
import { connectDockerEngine } from "./docker-engine.js";
import { buildTestRoot, openTestEngine, type PodmanService } from "./test-support/podman-service.js";
import { SANDBOXES_REQUIRED } from "./test-support/require-sandbox.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-docker-"));
let service: PodmanService | undefined;
let skipReason: string | undefined;
let instance: Instance;
let backend: Backend;
let cache: ReturnType<typeof createRepoCache>;
const workspaces: Workspace[] = [];

// The user's Docker or Podman socket, else a private Podman service: the backend speaks the Engine API only.
beforeAll(async () => {
  const started = await openTestEngine();
  if (typeof started === "string") {
    skipReason = started;
    return;
  }
  service = started;
  const { repoUrlTemplate } = buildDemoRepositories(join(scratch, "demo-repos"));
  cache = createRepoCache({ cacheDir: join(scratch, "cache"), repoUrlTemplate });
  instance = (await loadDemoDataset()).instances.find(
    (candidate) => candidate.instance_id === "swegate-demo__calculator-1",
  ) as Instance;
  // The image holds the repository at the base commit in /testbed, as the official images do.
  const testbed = await workspaceAtBase();
  const checkout = join(scratch, "testbed");
  execFileSync("cp", ["-a", testbed, checkout]);
  rmSync(join(checkout, ".git"), { force: true, recursive: true });
  const rootReason = buildTestRoot(join(scratch, "root"), checkout);
  if (rootReason) {
    skipReason = rootReason;
    return;
  }
  await service.importImage(join(scratch, "root"), officialImageFor(instance));
  backend = createDockerBackend({ image: officialImageFor(instance), socketPath: service.socketPath });
  // An engine that cannot start containers here (e.g. crun on hybrid cgroups: install runc) is a skip.
  const probe = await backend.run("true", { cwd: checkout, timeoutSeconds: 120 });
  if (probe.exitCode === 125) skipReason = probe.output.trim();
}, 300_000);

afterAll(async () => {
  for (const workspace of workspaces) await workspace.dispose();
  await service?.stop();
  await rm(scratch, { recursive: true, force: true });
});

async function workspaceAtBase(): Promise<string> {
  const workspace = await createWorkspace(cache, { repo: instance.repo, baseCommit: instance.base_commit });
  workspaces.push(workspace);
  return workspace.dir;
}

const runIt = (name: string, body: () => Promise<void>) =>
  it(name, async (context) => {
    if (skipReason) {
      // In CI (SWEGATE_REQUIRE_SANDBOXES=1) an engine that cannot run is a failure, not a skip.
      if (SANDBOXES_REQUIRED) throw new Error(`the docker backend cannot be tested: ${skipReason}`);
      console.warn(`docker backend tests skipped: ${skipReason}`);
      context.skip();
    }
    await body();
  }, 120_000);

describe("official image names", () => {
  it("lower-cases the id and spells __ as _1776_, unless the row names its own image", () => {
    const row = { instance_id: "Django__django-15738", extra: {} } as unknown as Instance;
    expect(officialImageFor(row)).toBe("swebench/sweb.eval.x86_64.django_1776_django-15738:latest");
    expect(officialImageFor({ ...row, extra: { image: "me/mine:1" } })).toBe("me/mine:1");
  });
});

describe("docker backend against an Engine API socket (Docker or Podman)", () => {
  runIt("runs the script in /testbed of a fresh container and returns its output and exit code", async () => {
    const dir = await workspaceAtBase();
    const result = await backend.run("pwd; echo to-stderr >&2; python --version; exit 3", {
      cwd: dir,
      timeoutSeconds: 60,
    });
    expect(result.exitCode, result.output).toBe(3);
    expect(result.output).toContain("/testbed\n");
    expect(result.output).toContain("to-stderr");
    expect(result.output).toMatch(/Python 3\.\d+/);
  });

  runIt("copies the workspace's changes in: edited, new (in new folders) and deleted files", async () => {
    const dir = await workspaceAtBase();
    writeFileSync(join(dir, "README.md"), "edited here\n");
    execFileSync("mkdir", ["-p", join(dir, "new", "folder")]);
    writeFileSync(join(dir, "new", "folder", "file.txt"), "brand new\n");
    rmSync(join(dir, "calculator", "ops.py"));
    const result = await backend.run(
      "cat README.md new/folder/file.txt; test -e calculator/ops.py && echo ops-still-there || echo ops-gone",
      { cwd: dir, timeoutSeconds: 60 },
    );
    expect(result.output).toContain("edited here\nbrand new\nops-gone");
  });

  runIt("gives the container no network but loopback", async () => {
    const dir = await workspaceAtBase();
    const result = await backend.run(
      "python3 -c 'import socket; print(sorted(name for _, name in socket.if_nameindex()))'",
      { cwd: dir, timeoutSeconds: 60 },
    );
    expect(result.output.trim().split("\n").at(-1)).toBe("['lo']");
  });

  runIt("kills a run at the timeout and leaves no container behind", async () => {
    const dir = await workspaceAtBase();
    const result = await backend.run("echo started; sleep 300", { cwd: dir, timeoutSeconds: 3 });
    expect(result).toMatchObject({ timedOut: true, exitCode: null });
    expect(result.output).toContain("started");
    const engine = connectDockerEngine(service?.socketPath as string);
    const filters = encodeURIComponent(JSON.stringify({ label: ["swegate.backend=docker"] }));
    const left = await engine.call("GET", `/containers/json?all=true&filters=${filters}`);
    expect(left.body).toEqual([]);
  });

  runIt("passes the red and green gates on a real bug with the gold patch", async () => {
    const dir = await workspaceAtBase();
    const red = await runRedGate({ instance, dir, backend, timeoutSeconds: 120 });
    expect(red.verdict, `${red.message}\n${red.log.slice(-2000)}`).toBe("reproduced");
    expect(red.tests["tests/test_ops.py::test_divide_fraction"]).toBe("FAILED");
    const green = await runGreenGate({ instance, dir, patch: instance.patch, backend, timeoutSeconds: 120 });
    expect(green).toMatchObject({ resolution: "FULL", resolved: true });
    const empty = await runGreenGate({ instance, dir, patch: "", backend, timeoutSeconds: 120 });
    expect(empty.resolution).toBe("NO");
  });

  runIt("describes the image: digest, disk use and the engine", async () => {
    const description = await backend.describe({ cwd: await workspaceAtBase() });
    expect(description.backend).toBe("docker");
    expect(description.imageDigest).toMatch(/^(sha256:)?[0-9a-f]{64}$|@sha256:/);
    expect(Number(description.details?.image_size_bytes)).toBeGreaterThan(1_000_000);
    expect(description.details?.engine).toMatch(/Podman|Docker/);
  });
});
