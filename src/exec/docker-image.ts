import { type DockerEngine, engineMessage, safeJson } from "./docker-engine.js";

/** What the engine says about an image (part of the fingerprint). */
export interface ImageFacts {
  /** Image id (`sha256:…`) or repository digest. */
  digest: string;
  /** Disk use of the image in bytes, as the engine reports it. */
  sizeBytes: number;
  /** `Docker Engine 27.1` or `Podman Engine 4.3.1`. */
  engine: string;
}

export async function inspectOrPullImage(
  engine: DockerEngine,
  image: string,
  onProgress?: (line: string) => void,
): Promise<ImageFacts> {
  let inspected = await engine.call("GET", `/images/${encodeURIComponent(image)}/json`);
  if (inspected.status === 404) {
    await pullImage(engine, image, onProgress);
    inspected = await engine.call("GET", `/images/${encodeURIComponent(image)}/json`);
  }
  if (inspected.status !== 200) throw new Error(`image ${image}: ${engineMessage(inspected)}`);
  const body = inspected.body as { Id?: string; RepoDigests?: string[]; Size?: number };
  const version = (await engine.call("GET", "/version")).body as {
    Components?: { Name?: string; Version?: string }[];
    Version?: string;
  };
  const component = version?.Components?.[0];
  return {
    digest: body.RepoDigests?.[0] ?? body.Id ?? "unknown",
    sizeBytes: body.Size ?? 0,
    engine: component ? `${component.Name} ${component.Version}` : `Engine ${version?.Version ?? "?"}`,
  };
}

/** Pulls with progress lines (one per layer state change); an error line in the stream fails it. */
async function pullImage(engine: DockerEngine, image: string, onProgress?: (line: string) => void) {
  const [name, tag = "latest"] = splitTag(image);
  onProgress?.(`pulling ${image} (official images are several GB; only once)`);
  const response = await engine.stream(
    "POST",
    `/images/create?fromImage=${encodeURIComponent(name)}&tag=${encodeURIComponent(tag)}`,
  );
  let buffered = "";
  let failure: string | undefined;
  let lastStatus = "";
  for await (const chunk of response) {
    buffered += (chunk as Buffer).toString("utf8");
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      const event = safeJson(line) as { status?: string; id?: string; error?: string; progress?: string };
      if (event?.error) failure = event.error;
      const status = `${event?.id ? `${event.id}: ` : ""}${event?.status ?? ""}`;
      if (event?.status && status !== lastStatus) onProgress?.(status);
      lastStatus = status;
    }
  }
  if (failure || (response.statusCode ?? 0) >= 300)
    throw new Error(`cannot pull ${image}: ${failure ?? `HTTP ${response.statusCode}`}`);
}

function splitTag(image: string): [string, string | undefined] {
  const slash = image.lastIndexOf("/");
  const colon = image.lastIndexOf(":");
  return colon > slash ? [image.slice(0, colon), image.slice(colon + 1)] : [image, undefined];
}
