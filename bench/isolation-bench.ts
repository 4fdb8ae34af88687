// Per-run overhead of --backend isolated (bubblewrap, host root and a Debian environment when one
// exists) and --backend docker (Docker's socket, else a private Podman service with a small
// imported image) against host on the same command, measured side by side in one run; run alone
// with `npx tsx bench/isolation-bench.ts`.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { listEnvironments } from "../src/environments/debian-environments.js";
import type { Backend } from "../src/exec/backend.js";
import { createDockerBackend } from "../src/exec/docker-backend.js";
import { findDockerSocket } from "../src/exec/docker-engine.js";
import { createHostBackend } from "../src/exec/host-backend.js";
import { createIsolatedBackend, isolationAvailable } from "../src/exec/isolated-backend.js";
import {
  buildTestRoot,
  type PodmanService,
  startPodmanService,
} from "../src/exec/test-support/podman-service.js";
import { defaultCacheDir } from "../src/workspace/repo-cache.js";

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

const ROUNDS = 10;
const COMMAND = "python3 -c pass";
const BENCH_IMAGE = "swegate-bench/python:latest";

export async function benchIsolation(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "swegate-bench-isolation-"));
  const notes: string[] = [];
  let podman: PodmanService | undefined;
  try {
    // The interpreter itself, not a pyenv shim (a shell script costing ~0.1 s per start), on both sides.
    const python = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], {
      encoding: "utf8",
    }).trim();
    const backends: [string, Backend][] = [["host", createHostBackend({ python })]];
    if (isolationAvailable()) {
      backends.push(["isolated (host root)", createIsolatedBackend({ python })]);
      const environment = listEnvironments(process.env.SWEGATE_CACHE_DIR ?? defaultCacheDir())[0];
      if (environment) {
        const root = join(
          process.env.SWEGATE_CACHE_DIR ?? defaultCacheDir(),
          "environments",
          environment.name,
          "root",
        );
        backends.push([`isolated (${environment.name})`, createIsolatedBackend({ root, environment })]);
      } else notes.push("no Debian environment (swegate env create debian-bullseye --python 3.9)");
    } else notes.push("isolated: bubblewrap cannot create namespaces here");
    const docker = await dockerForBench(dir);
    if (typeof docker === "string") notes.push(`docker: ${docker}`);
    else {
      podman = docker.podman;
      backends.push([docker.label, docker.backend]);
    }
    const times = new Map<string, number[]>(backends.map(([name]) => [name, []]));
    // Alternate the backends so a noisy moment on the shared machine hurts all alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, backend] of backends) {
        const started = performance.now();
        const result = await backend.run(COMMAND, { cwd: dir, timeoutSeconds: 120 });
        if (result.exitCode !== 0) throw new Error(`${name}: ${COMMAND} failed: ${result.output}`);
        times.get(name)?.push(performance.now() - started);
      }
    }
    const host = median(times.get("host") ?? []);
    const parts = backends.map(([name]) => {
      const value = median(times.get(name) ?? []);
      return `${name} ${value.toFixed(0)} ms (×${(value / host).toFixed(1)})`;
    });
    return [
      `isolation: \`${COMMAND}\` median of ${ROUNDS} alternating rounds: ${parts.join(", ")}${notes.length ? `; ${notes.join("; ")}` : ""}`,
    ];
  } finally {
    await podman?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Docker when its socket exists (with SWEGATE_BENCH_DOCKER_IMAGE), else a private Podman service. */
async function dockerForBench(
  dir: string,
): Promise<{ label: string; backend: Backend; podman?: PodmanService } | string> {
  const socket = findDockerSocket();
  const image = process.env.SWEGATE_BENCH_DOCKER_IMAGE;
  if (socket && image)
    return { label: "docker", backend: createDockerBackend({ image, socketPath: socket }) };
  const podman = await startPodmanService();
  if (typeof podman === "string") return `not measured (${podman})`;
  const testbed = join(dir, "testbed-source");
  const root = join(dir, "image-root");
  rmSync(testbed, { recursive: true, force: true });
  mkdirSync(testbed);
  const why = buildTestRoot(root, testbed);
  if (why) {
    await podman.stop();
    return `not measured (${why})`;
  }
  await podman.importImage(root, BENCH_IMAGE);
  rmSync(root, { recursive: true, force: true });
  rmSync(testbed, { recursive: true, force: true });
  return {
    label: "docker (podman socket, vfs)",
    backend: createDockerBackend({ image: BENCH_IMAGE, socketPath: podman.socketPath }),
    podman,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const line of await benchIsolation()) console.log(line);
}
