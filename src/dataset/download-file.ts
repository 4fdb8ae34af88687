import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { EnvironmentError } from "../errors.js";

/** How far a download has come. */
export interface DownloadProgress {
  /** Bytes written so far. */
  receivedBytes: number;
  /** Size the server announced (bytes), or undefined when it did not say. */
  totalBytes: number | undefined;
}

/** Options of `downloadFile`. */
export interface DownloadOptions {
  /** Called after every chunk; the caller decides how often to draw. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Give up when no byte arrives for this long (milliseconds; default 30 000). */
  stallTimeoutMs?: number;
}

/**
 * Downloads `url` to `target` through a `.partial` file renamed at the end, so an interrupted download
 * never looks complete. An unreachable host or an HTTP error is an EnvironmentError saying which.
 */
export async function downloadFile(
  url: string,
  target: string,
  options: DownloadOptions = {},
): Promise<DownloadProgress> {
  const stallTimeoutMs = options.stallTimeoutMs ?? 30_000;
  const controller = new AbortController();
  // A stall timer rather than one overall timeout: the full dataset may take minutes on a slow line.
  let timer = setTimeout(() => controller.abort(), stallTimeoutMs);
  const rearm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), stallTimeoutMs);
  };
  const host = new URL(url).host;
  const partial = `${target}.partial`;
  try {
    let response: Response;
    try {
      response = await fetch(url, { signal: controller.signal, redirect: "follow" });
    } catch (error) {
      throw new EnvironmentError(`cannot reach ${host}: ${describeNetworkError(error)}`, {
        where: url,
        hint: "this machine looks offline: download the parquet file elsewhere and pass its path instead",
        cause: error,
      });
    }
    if (!response.ok || !response.body) {
      throw new EnvironmentError(`download failed: HTTP ${response.status} ${response.statusText}`.trim(), {
        where: url,
        hint:
          response.status === 401 || response.status === 403 ? "the file needs a login" : "try again later",
      });
    }
    const announced = Number(response.headers.get("content-length"));
    const progress: DownloadProgress = {
      receivedBytes: 0,
      totalBytes: Number.isFinite(announced) && announced > 0 ? announced : undefined,
    };
    await mkdir(dirname(target), { recursive: true });
    const out = createWriteStream(partial);
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        rearm();
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
        progress.receivedBytes += chunk.length;
        options.onProgress?.(progress);
      }
    } catch (error) {
      out.destroy();
      throw new EnvironmentError(`download from ${host} broke off: ${describeNetworkError(error)}`, {
        where: url,
        hint: "run the same command again",
        cause: error,
      });
    }
    await new Promise<void>((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    await rename(partial, target);
    return progress;
  } finally {
    clearTimeout(timer);
    await rm(partial, { force: true });
  }
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "name lookup failed (ENOTFOUND)",
  EAI_AGAIN: "name lookup failed (EAI_AGAIN)",
  ETIMEDOUT: "connection timed out",
  ENETUNREACH: "network unreachable",
  ECONNRESET: "connection reset",
};

// fetch() hides the useful part (ECONNREFUSED, ENOTFOUND, a timeout) in `cause`.
function describeNetworkError(error: unknown): string {
  if (error instanceof Error && error.name === "AbortError") return "no data for too long";
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code;
  if (code) return NETWORK_ERRORS[code] ?? code;
  return cause?.message ?? (error as Error).message;
}
