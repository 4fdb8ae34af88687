import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { createDockerBackend } from "./docker-backend.js";
import { registerSecret } from "./scrub-secrets.js";
import { newNonce } from "./test-script.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-docker-scrub-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** One frame of the engine's multiplexed log stream. */
function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = 1;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

it("redacts a registered secret from a container's log, even split between two frames", async () => {
  const key = `sk-ant-fake-${newNonce()}`;
  registerSecret("ANTHROPIC_API_KEY", key);
  // An Engine API stand-in on a real unix socket, just enough for one run whose log prints the key
  // whole, then in two frames sent apart.
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const path = request.url ?? "";
      const json = (status: number, body?: unknown) => {
        response.writeHead(status, { "content-type": "application/json" });
        response.end(body === undefined ? "" : JSON.stringify(body));
      };
      if (path.startsWith("/images/")) return json(200, { Id: "sha256:fake", Size: 1 });
      if (path === "/containers/create") return json(201, { Id: "c1" });
      if (path.includes("/archive")) return json(200);
      if (path.endsWith("/start")) return json(204);
      if (path.includes("/logs")) {
        response.writeHead(200, { "content-type": "application/vnd.docker.raw-stream" });
        response.write(frame(`whole: ${key}\nsplit: ${key.slice(0, 10)}`));
        setTimeout(() => response.end(frame(`${key.slice(10)}\n`)), 200);
        return;
      }
      if (path.endsWith("/wait")) return json(200, { StatusCode: 0 });
      if (request.method === "DELETE") return json(204);
      json(404, { message: `no fake for ${request.method} ${path}` });
    });
  });
  const socketPath = join(mkdtempSync(join(scratch, "engine-")), "docker.sock");
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  try {
    const backend = createDockerBackend({ image: "me/image:1", socketPath });
    const chunks: string[] = [];
    const result = await backend.run("true", {
      cwd: mkdtempSync(join(scratch, "workspace-")),
      timeoutSeconds: 60,
      onOutput: (chunk) => chunks.push(chunk),
    });
    expect(result.output).toBe("whole: [redacted:ANTHROPIC_API_KEY]\nsplit: [redacted:ANTHROPIC_API_KEY]\n");
    expect(chunks.join("")).toBe(result.output);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
