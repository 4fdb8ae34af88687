import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { connectDockerEngine, createLogDemultiplexer, findDockerSocket } from "./docker-engine.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-engine-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

const frame = (stream: number, text: string) => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

describe("engine log stream", () => {
  it("joins stdout and stderr frames in arrival order, whatever the chunking", () => {
    const whole = Buffer.concat([frame(1, "one\n"), frame(2, "two\n"), frame(1, "three\n")]);
    for (const cut of [1, 5, 9, 13, whole.length - 1]) {
      const out: string[] = [];
      const feed = createLogDemultiplexer((payload) => out.push(payload.toString()));
      feed(whole.subarray(0, cut));
      feed(whole.subarray(cut));
      expect(out.join("")).toBe("one\ntwo\nthree\n");
    }
  });

  it("passes a TTY's raw output through unchanged", () => {
    const out: string[] = [];
    const feed = createLogDemultiplexer((payload) => out.push(payload.toString()));
    feed(Buffer.from("plain text from a tty\n"));
    feed(Buffer.from("more\n"));
    expect(out.join("")).toBe("plain text from a tty\nmore\n");
  });
});

describe("engine socket", () => {
  it("finds DOCKER_HOST's unix socket first and speaks HTTP over it", async () => {
    const socketPath = join(scratch, "engine.sock");
    expect(findDockerSocket({ DOCKER_HOST: `unix://${socketPath}` })).toBe(socketPath);
    const server = createServer((request, response) => {
      response.writeHead(request.url === "/version" ? 200 : 404, { "content-type": "application/json" });
      response.end(
        JSON.stringify(request.url === "/version" ? { Version: "test" } : { message: "no such image" }),
      );
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      const engine = connectDockerEngine(socketPath);
      expect(await engine.call("GET", "/version")).toEqual({ status: 200, body: { Version: "test" } });
      expect(await engine.call("GET", "/images/x/json")).toEqual({
        status: 404,
        body: { message: "no such image" },
      });
    } finally {
      server.close();
    }
  });
});
