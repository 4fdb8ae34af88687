// Per-run overhead of --backend isolated (bubblewrap) against host on the same command, measured
// side by side; run alone with `npx tsx bench/isolation-bench.ts`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Backend } from "../src/exec/backend.js";
import { createHostBackend } from "../src/exec/host-backend.js";
import { createIsolatedBackend, isolationAvailable } from "../src/exec/isolated-backend.js";

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

export async function benchIsolation(): Promise<string[]> {
  if (!isolationAvailable()) return ["isolation: skipped — bubblewrap cannot create namespaces here"];
  const dir = mkdtempSync(join(tmpdir(), "swegate-bench-isolation-"));
  try {
    const backends: [string, Backend][] = [
      ["host", createHostBackend()],
      ["isolated", createIsolatedBackend()],
    ];
    const times = new Map<string, number[]>(backends.map(([name]) => [name, []]));
    // Alternate the two so a noisy moment hurts both alike.
    for (let round = 0; round < 20; round++) {
      for (const [name, backend] of backends) {
        const started = performance.now();
        await backend.run("python3 -c pass", { cwd: dir, timeoutSeconds: 60 });
        times.get(name)?.push(performance.now() - started);
      }
    }
    const host = median(times.get("host") ?? []);
    const isolated = median(times.get("isolated") ?? []);
    return [
      `isolation: \`python3 -c pass\` ×20: host ${host.toFixed(0)} ms, isolated ${isolated.toFixed(0)} ms (median) → isolated/host ${(isolated / host).toFixed(2)}; docker: not measured (no Docker or Podman socket here)`,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const line of await benchIsolation()) console.log(line);
}
