import { existsSync } from "node:fs";
import { type IncomingMessage, request } from "node:http";
import type { Readable } from "node:stream";

/**
 * A minimal client of the Docker Engine API over its unix socket (node:http, no dependency). Only
 * the calls the docker backend needs; Podman's Docker-compatible socket answers the same paths.
 */
export interface DockerEngine {
  /** Path of the unix socket spoken to. */
  readonly socketPath: string;
  /** One call; JSON body in, parsed JSON (or text) out with the HTTP status. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** One call whose response is streamed (logs, pull progress); body may be a readable stream. */
  stream(
    method: string,
    path: string,
    body?: Readable | Buffer,
    contentType?: string,
  ): Promise<IncomingMessage>;
}

/**
 * Where the engine listens: `DOCKER_HOST` (unix:// only), else Docker's and Podman's usual sockets.
 * Undefined when none exists.
 */
export function findDockerSocket(environment: NodeJS.ProcessEnv = process.env): string | undefined {
  const host = environment.DOCKER_HOST;
  if (host?.startsWith("unix://")) return host.slice("unix://".length);
  const runtime = environment.XDG_RUNTIME_DIR;
  const candidates = [
    "/var/run/docker.sock",
    "/run/podman/podman.sock",
    ...(runtime ? [`${runtime}/docker.sock`, `${runtime}/podman/podman.sock`] : []),
  ];
  return candidates.find((candidate) => existsSync(candidate));
}

export function connectDockerEngine(socketPath: string): DockerEngine {
  const stream = (method: string, path: string, body?: Readable | Buffer, contentType?: string) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const outgoing = request(
        {
          socketPath,
          method,
          path,
          headers: body ? { "content-type": contentType ?? "application/json" } : {},
        },
        resolve,
      );
      outgoing.on("error", reject);
      if (body === undefined) outgoing.end();
      else if (Buffer.isBuffer(body)) outgoing.end(body);
      else body.pipe(outgoing);
    });
  return {
    socketPath,
    stream,
    async call(method, path, body) {
      const response = await stream(
        method,
        path,
        body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
      );
      const text = await readAll(response);
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // Not JSON (an error page, an empty body): keep the text.
      }
      return { status: response.statusCode ?? 0, body: parsed };
    },
  };
}

export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The engine's message for a failed call (`{"message": …}`), else the status. */
export function engineMessage(result: { status: number; body: unknown }): string {
  const message = (result.body as { message?: unknown } | undefined)?.message;
  return typeof message === "string" ? message : `HTTP ${result.status}`;
}

/**
 * Splits the engine's multiplexed log stream (8-byte frame headers: stream, 0, 0, 0, size) into the
 * frames' payloads in arrival order. Bytes that do not start a frame are passed through as they are
 * (a container with a TTY sends raw output).
 */
export function createLogDemultiplexer(onPayload: (payload: Buffer) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  let raw = false;
  return (chunk) => {
    if (raw) return onPayload(chunk);
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const kind = pending[0] as number;
      if (kind > 2 || pending[1] !== 0 || pending[2] !== 0 || pending[3] !== 0) {
        raw = true;
        onPayload(pending);
        pending = Buffer.alloc(0);
        return;
      }
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) return;
      onPayload(pending.subarray(8, 8 + size));
      pending = pending.subarray(8 + size);
    }
  };
}

/** Parsed JSON, or undefined for anything else. */
export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
