import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Why a Debian archive cannot serve a release (one phrase), or undefined when it can: Debian's main
 * archive drops releases after their end of life (buster), and a build from it then fails after
 * minutes with a message that hides the cause. Looks for `dists/<release>/Release` or `InRelease`.
 */
export async function releaseMissingFrom(mirror: string, release: string): Promise<string | undefined> {
  const files = ["Release", "InRelease"].map((name) => `dists/${release}/${name}`);
  if (!/^https?:\/\//.test(mirror)) {
    const folder = mirror.startsWith("file:") ? fileURLToPath(mirror) : mirror;
    return files.some((file) => existsSync(join(folder, file))) ? undefined : `no ${files[0]}`;
  }
  let last = "";
  for (const file of files) {
    try {
      const response = await fetch(`${mirror.replace(/\/$/, "")}/${file}`, {
        method: "HEAD",
        signal: AbortSignal.timeout(30_000),
      });
      if (response.ok) return undefined;
      last = `${file}: HTTP ${response.status}`;
    } catch (error) {
      return `cannot reach it: ${(error as Error).message}`;
    }
  }
  return last;
}

/** Where a release no longer in Debian's main archive can still be had. */
export const OLD_RELEASES_ARCHIVE = "http://archive.debian.org/debian";
