/**
 * How long the server asks us to wait, in milliseconds: `retry-after-ms` (OpenAI and Anthropic send
 * it), else `retry-after` as seconds or as an HTTP date. Undefined when absent or unreadable.
 */
export function readRetryAfterMs(headers: Headers, nowMs: number = Date.now()): number | undefined {
  const milliseconds = headers.get("retry-after-ms")?.trim();
  if (milliseconds && /^\d+(\.\d+)?$/.test(milliseconds)) return Number(milliseconds);
  const value = headers.get("retry-after")?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
