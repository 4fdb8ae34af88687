import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the local server saw. */
export interface SeenRequest {
  /** Method, e.g. POST. */
  method: string;
  /** Path and query. */
  path: string;
  /** Headers, lower-cased names. */
  headers: IncomingMessage["headers"];
  /** Parsed JSON body ({} when empty). */
  body: Record<string, unknown>;
}

/** Answers one request; `index` is its 0-based number. Leaving `response` unanswered simulates a hung server. */
export type JsonHandler = (seen: SeenRequest, response: ServerResponse, index: number) => void;

/** A real HTTP server on 127.0.0.1 that records requests and answers through `handler`. */
export async function serveJson(handler: JsonHandler): Promise<{
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  /** Requests seen so far, in arrival order. */
  seen: SeenRequest[];
  /** Stops the server, cutting open connections. */
  close: () => Promise<void>;
}> {
  const seen: SeenRequest[] = [];
  const server: Server = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk) => {
      text += chunk;
    });
    request.on("end", () => {
      const entry: SeenRequest = {
        method: request.method ?? "",
        path: request.url ?? "",
        headers: request.headers,
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      };
      seen.push(entry);
      handler(entry, response, seen.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes a JSON answer (a string body is sent as is, for malformed bodies). */
export function answerJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(typeof body === "string" ? body : JSON.stringify(body));
}

/** An OpenAI-style chat completion answering `content`, with that many prompt and completion tokens. */
export function chatCompletion(
  content: string,
  tokens: { prompt: number; completion: number } = { prompt: 10, completion: 10 },
) {
  return {
    id: "x",
    object: "chat.completion",
    model: "fake",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: {
      prompt_tokens: tokens.prompt,
      completion_tokens: tokens.completion,
      total_tokens: tokens.prompt + tokens.completion,
    },
  };
}
