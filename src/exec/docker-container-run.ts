import { StringDecoder } from "node:string_decoder";
import type { CommandResult, RunOptions } from "./backend.js";
import { createLogDemultiplexer, type DockerEngine, engineMessage } from "./docker-engine.js";
import { createOutputScrubber, scrubSecrets } from "./scrub-secrets.js";
import { DEFAULT_OUTPUT_LIMIT_BYTES, INTERRUPTED_NOTE } from "./spawn-merged.js";

/** A container run's result, and whether the engine refused it before the script started (safe to redo). */
export interface ContainerOutcome {
  result: CommandResult;
  refusedBeforeStart: boolean;
}

/** Starts the container, streams its log (capped) until it stops or the timeout kills it, reads its exit code. */
export async function startAndCollect(
  engine: DockerEngine,
  id: string,
  runOptions: RunOptions,
  started: number,
): Promise<ContainerOutcome> {
  const startedContainer = await engine.call("POST", `/containers/${id}/start`);
  if (startedContainer.status >= 300)
    return {
      result: {
        exitCode: 125,
        output: `swegate: docker backend: cannot start the container: ${engineMessage(startedContainer)}\n`,
        durationMs: Date.now() - started,
        timedOut: false,
        truncatedBytes: 0,
      },
      refusedBeforeStart: true,
    };
  let timedOut = false;
  let interrupted = false;
  const kill = () => void engine.call("POST", `/containers/${id}/kill?signal=KILL`).catch(() => undefined);
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, runOptions.timeoutSeconds * 1000);
  const onAbort = () => {
    interrupted = true;
    kill();
  };
  runOptions.signal?.addEventListener("abort", onAbort, { once: true });
  if (runOptions.signal?.aborted) onAbort();
  const chunks: Buffer[] = [];
  // The log does not pass through spawnMerged: it is decoded and scrubbed of credentials here, the
  // same way, before it is shown or kept (a container gets no host variables, but a key can still
  // reach one through a run's own env or a file of the workspace).
  const decoder = new StringDecoder("utf8");
  const scrubber = createOutputScrubber();
  const keep = (text: string) => {
    if (text === "") return;
    chunks.push(Buffer.from(text, "utf8"));
    runOptions.onOutput?.(text);
  };
  try {
    const logs = await engine.stream("GET", `/containers/${id}/logs?follow=true&stdout=true&stderr=true`);
    const demultiplex = createLogDemultiplexer((payload) => keep(scrubber.write(decoder.write(payload))));
    for await (const chunk of logs) demultiplex(chunk as Buffer);
    keep(scrubber.write(decoder.end()) + scrubber.end());
    const waited = await engine.call("POST", `/containers/${id}/wait`);
    const code = (waited.body as { StatusCode?: number } | undefined)?.StatusCode;
    const { output, truncatedBytes } = capOutput(
      Buffer.concat(chunks),
      runOptions.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT_BYTES,
    );
    return {
      result: {
        exitCode: timedOut || interrupted || code === undefined ? null : code,
        output: scrubSecrets(interrupted ? output + INTERRUPTED_NOTE : output),
        durationMs: Date.now() - started,
        timedOut,
        truncatedBytes,
      },
      refusedBeforeStart: false,
    };
  } finally {
    clearTimeout(timer);
    runOptions.signal?.removeEventListener("abort", onAbort);
  }
}

/** Keeps the head and tail halves of an over-long log and counts the dropped middle. */
function capOutput(all: Buffer, limit: number): { output: string; truncatedBytes: number } {
  if (all.length <= limit) return { output: all.toString("utf8"), truncatedBytes: 0 };
  const half = Math.floor(limit / 2);
  const dropped = all.length - limit;
  const output = Buffer.concat([
    all.subarray(0, half),
    Buffer.from(`\n[swegate: ${dropped} bytes of output dropped here]\n`),
    all.subarray(all.length - (limit - half)),
  ]).toString("utf8");
  return { output, truncatedBytes: dropped };
}
