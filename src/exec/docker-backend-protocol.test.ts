import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Backend } from "./backend.js";
import { createDockerBackend } from "./docker-backend.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-fake-engine-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Seen {
  method: string;
  path: string;
  contentType: string | undefined;
  body: Buffer;
}

/** A Docker Engine API stand-in on a real unix socket: enough of it for one run, with scripted failures. */
async function fakeEngine(options: {
  failedStarts?: number;
  failedCopies?: number;
  /** The log stream stays open, as for a script still running, until the container is killed. */
  runsUntilKilled?: boolean;
  exitCode: number;
  output: string;
}) {
  const seen: Seen[] = [];
  let created = 0;
  let starts = 0;
  let copies = 0;
  let endLogs: (() => void) | undefined;
  const frame = (stream: 1 | 2, text: string) => {
    const payload = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  };
  const server: Server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = request.url ?? "";
      seen.push({
        method: request.method ?? "",
        path,
        contentType: request.headers["content-type"],
        body: Buffer.concat(chunks),
      });
      const json = (status: number, body: unknown) => {
        response.writeHead(status, { "content-type": "application/json" });
        response.end(body === undefined ? "" : JSON.stringify(body));
      };
      if (path.startsWith("/images/")) return json(200, { Id: "sha256:fake", Size: 42 });
      if (path === "/version") return json(200, { Components: [{ Name: "Fake Engine", Version: "1.0" }] });
      if (path === "/containers/create") return json(201, { Id: `c${++created}` });
      if (path.includes("/archive"))
        return ++copies <= (options.failedCopies ?? 0)
          ? json(500, { message: "passing bulk input to subprocess: write |1: broken pipe" })
          : json(200, undefined);
      if (path.endsWith("/start"))
        return ++starts <= (options.failedStarts ?? 0)
          ? json(500, { message: "OCI runtime error: fake" })
          : json(204, undefined);
      if (path.includes("/logs")) {
        response.writeHead(200, { "content-type": "application/vnd.docker.raw-stream" });
        if (!options.runsUntilKilled)
          return response.end(Buffer.concat([frame(1, options.output), frame(2, "on stderr\n")]));
        response.write(frame(1, options.output));
        endLogs = () => response.end();
        return;
      }
      if (path.includes("/kill")) {
        endLogs?.();
        return json(204, undefined);
      }
      if (path.endsWith("/wait")) return json(200, { StatusCode: options.exitCode });
      if (request.method === "DELETE") return json(204, undefined);
      json(404, { message: `no fake for ${request.method} ${path}` });
    });
  });
  const socketPath = join(mkdtempSync(join(scratch, "engine-")), "docker.sock");
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return { socketPath, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A fake engine, a docker backend on its socket and an empty workspace for `body`; the engine is closed after. */
async function withFakeEngine(
  options: Parameters<typeof fakeEngine>[0],
  body: (setup: {
    engine: Awaited<ReturnType<typeof fakeEngine>>;
    backend: Backend;
    workspace: string;
  }) => Promise<void>,
): Promise<void> {
  const engine = await fakeEngine(options);
  try {
    const workspace = mkdtempSync(join(scratch, "workspace-"));
    const backend = createDockerBackend({ image: "me/image:1", socketPath: engine.socketPath });
    await body({ engine, backend, workspace });
  } finally {
    await engine.close();
  }
}

describe("docker backend's Engine API exchange (a fake engine on a unix socket)", () => {
  it("creates a locked-down container, copies the workspace and scripts in, streams the log and removes it", async () => {
    await withFakeEngine({ exitCode: 3, output: "hello\n" }, async ({ engine, backend, workspace }) => {
      writeFileSync(join(workspace, "file.py"), "x = 1\n");
      const result = await backend.run("echo hello", { cwd: workspace, timeoutSeconds: 60 });
      expect(result).toMatchObject({ exitCode: 3, output: "hello\non stderr\n", timedOut: false });
      const create = engine.seen.find((request) => request.path === "/containers/create");
      expect(JSON.parse(create?.body.toString() ?? "{}")).toMatchObject({
        Image: "me/image:1",
        WorkingDir: "/testbed",
        NetworkDisabled: true,
        HostConfig: { NetworkMode: "none", Memory: 4 * 1024 ** 3, NanoCpus: 2e9 },
      });
      const archives = engine.seen.filter((request) => request.path.includes("/archive"));
      expect(archives.map((request) => decodeURIComponent(request.path.split("path=")[1] ?? ""))).toEqual([
        "/testbed",
        "/tmp",
      ]);
      expect(archives.every((request) => request.contentType === "application/x-tar")).toBe(true);
      expect(archives[0]?.body.includes(Buffer.from("x = 1\n"))).toBe(true); // the workspace's file, in the tar
      expect(
        engine.seen.filter((request) => request.method === "DELETE").map((request) => request.path),
      ).toEqual(["/containers/c1?force=true&v=true"]);
    });
  });

  it("makes a new container once when the engine refuses to start one, and removes both", async () => {
    await withFakeEngine(
      { failedStarts: 1, exitCode: 0, output: "second try\n" },
      async ({ engine, backend, workspace }) => {
        const result = await backend.run("true", { cwd: workspace, timeoutSeconds: 60 });
        expect(result).toMatchObject({ exitCode: 0, output: "second try\non stderr\n" });
        expect(
          engine.seen.filter((request) => request.path.endsWith("/start")).map((request) => request.path),
        ).toEqual(["/containers/c1/start", "/containers/c2/start"]);
        expect(engine.seen.filter((request) => request.method === "DELETE")).toHaveLength(2);
      },
    );
  });

  it("makes a new container when the engine fails to copy the files in, up to twice", async () => {
    await withFakeEngine(
      { failedCopies: 2, exitCode: 0, output: "third try\n" },
      async ({ engine, backend, workspace }) => {
        const result = await backend.run("true", { cwd: workspace, timeoutSeconds: 60 });
        expect(result).toMatchObject({ exitCode: 0, output: "third try\non stderr\n" });
        expect(engine.seen.filter((request) => request.path === "/containers/create")).toHaveLength(3);
        expect(engine.seen.filter((request) => request.method === "DELETE")).toHaveLength(3);
      },
    );
  }, 20_000);

  it("gives up after three refusals with the engine's own words, and runs the script never", async () => {
    await withFakeEngine(
      { failedStarts: 3, exitCode: 0, output: "never\n" },
      async ({ engine, backend, workspace }) => {
        const result = await backend.run("true", { cwd: workspace, timeoutSeconds: 60 });
        expect(result.exitCode).toBe(125);
        expect(result.output).toContain("cannot start the container: OCI runtime error: fake");
        expect(engine.seen.filter((request) => request.path.includes("/logs"))).toEqual([]);
        expect(engine.seen.filter((request) => request.method === "DELETE")).toHaveLength(3);
      },
    );
  }, 20_000);

  it("kills the container when the run is interrupted, and removes it", async () => {
    await withFakeEngine(
      { runsUntilKilled: true, exitCode: 137, output: "started\n" },
      async ({ engine, backend, workspace }) => {
        const controller = new AbortController();
        const result = await backend.run("sleep 1000", {
          cwd: workspace,
          timeoutSeconds: 600,
          signal: controller.signal,
          onOutput: (chunk) => chunk.includes("started") && controller.abort(),
        });
        expect(result).toMatchObject({ exitCode: null, timedOut: false });
        expect(result.output).toBe("started\n\n[swegate: interrupted]\n");
        expect(engine.seen.map((request) => `${request.method} ${request.path}`)).toEqual(
          expect.arrayContaining([
            "POST /containers/c1/kill?signal=KILL",
            "DELETE /containers/c1?force=true&v=true",
          ]),
        );
      },
    );
  });
});
