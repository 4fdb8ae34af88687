import type { Instance } from "../dataset/instance.js";
import { EnvironmentError } from "../errors.js";
import type { Backend, CommandResult, EnvironmentDescription, RunOptions } from "./backend.js";
import { type ContainerOutcome, startAndCollect } from "./docker-container-run.js";
import { connectDockerEngine, engineMessage, findDockerSocket, readAll, safeJson } from "./docker-engine.js";
import { type ImageFacts, inspectOrPullImage } from "./docker-image.js";
import { archiveFiles, collectWorkspaceChanges } from "./workspace-changes.js";

export interface DockerBackendOptions {
  /** Image to run, e.g. `swebench/sweb.eval.x86_64.django_1776_django-15738:latest`. */
  image: string;
  /** Engine socket (default: `DOCKER_HOST`, else Docker's or Podman's usual socket). */
  socketPath?: string;
  /** Folder inside the image holding the repository at the base commit (default `/testbed`). */
  workdir?: string;
  /** Memory limit per container, in bytes (default 4 GiB). */
  memoryBytes?: number;
  /** CPUs per container (default 2). */
  cpus?: number;
  /** Extra variables for every command. */
  env?: Record<string, string>;
  /** Pull progress lines (an image absent locally is pulled once, on first use). */
  onProgress?: (line: string) => void;
}

/** The official SWE-bench image of an instance (the row's own `image` column wins). */
export function officialImageFor(instance: Instance): string {
  const own = instance.extra.image;
  if (typeof own === "string" && own) return own;
  return `swebench/sweb.eval.x86_64.${instance.instance_id.toLowerCase().replaceAll("__", "_1776_")}:latest`;
}

/** The engine's socket, or a one-line error naming what is missing. */
export function requireDockerSocket(socketPath?: string): string {
  const found = socketPath ?? findDockerSocket();
  if (!found)
    throw new EnvironmentError("no Docker Engine socket found", {
      where: "--backend docker",
      hint: "start Docker, or Podman's API (podman system service), and set DOCKER_HOST=unix://PATH",
    });
  return found;
}

const WRAPPER_DIR = "/tmp/swegate-run";

/**
 * Runs each command in a fresh container of the instance's image: no network, memory and CPU
 * limits, the workspace's changes against its commit copied over the image's checkout (archive
 * PUT), the script run in the image's conda env `testbed` when it has one, the log streamed back,
 * and the container removed. Works against Docker and against Podman's Docker-compatible socket.
 */
export function createDockerBackend(options: DockerBackendOptions): Backend {
  if (process.arch !== "x64" && options.image.includes("x86_64"))
    throw new EnvironmentError(
      `the official SWE-bench images are built for x86_64 only; this machine is ${process.arch}`,
      {
        where: options.image,
        hint: "run on an x86_64 machine (emulation is very slow), or use --backend isolated",
      },
    );
  const engine = connectDockerEngine(requireDockerSocket(options.socketPath));
  const workdir = options.workdir ?? "/testbed";
  let image: Promise<ImageFacts> | undefined;
  const ensureImage = () => {
    image ??= inspectOrPullImage(engine, options.image, options.onProgress);
    return image;
  };
  const backend: Backend = {
    name: "docker",
    async run(script: string, runOptions: RunOptions): Promise<CommandResult> {
      const started = Date.now();
      const failed = (message: string): CommandResult => ({
        exitCode: 125,
        output: `swegate: docker backend: ${message}\n`,
        durationMs: Date.now() - started,
        timedOut: false,
        truncatedBytes: 0,
      });
      try {
        await ensureImage();
      } catch (error) {
        image = undefined;
        return failed((error as Error).message);
      }
      const changes = await collectWorkspaceChanges(runOptions.cwd);
      // One container per run. When the engine refuses a step before the script has started
      // (create, copy in, start), nothing of the run happened yet, so a new container is made, up to
      // twice: CI runs saw Podman refuse a start, and fail a copy with "broken pipe", for reasons it
      // did not give again.
      const attempt = async (): Promise<ContainerOutcome> => {
        const refused = (message: string): ContainerOutcome => ({
          result: failed(message),
          refusedBeforeStart: true,
        });
        const created = await engine.call("POST", "/containers/create", {
          Image: options.image,
          Cmd: ["bash", `${WRAPPER_DIR}/wrapper.sh`],
          WorkingDir: workdir,
          Env: Object.entries(containerEnvironment(options.env, runOptions.env)).map(
            ([key, value]) => `${key}=${value}`,
          ),
          Labels: { "swegate.backend": "docker" },
          NetworkDisabled: true,
          HostConfig: {
            NetworkMode: "none",
            Memory: options.memoryBytes ?? 4 * 1024 ** 3,
            NanoCpus: Math.round((options.cpus ?? 2) * 1e9),
            Ulimits: [
              { Name: "nofile", Soft: 1024, Hard: 1024 },
              { Name: "nproc", Soft: 4096, Hard: 4096 },
            ],
          },
        });
        const id = (created.body as { Id?: string } | undefined)?.Id;
        if (created.status !== 201 || !id)
          return refused(`cannot create a container: ${engineMessage(created)}`);
        try {
          const wrapper = wrapperScript({ workdir, commit: changes.commit });
          const files = await archiveFiles({
            "swegate-run/wrapper.sh": wrapper,
            "swegate-run/run.sh": script,
            "swegate-run/deleted": changes.deleted.map((path) => `${path}\0`).join(""),
          });
          for (const [path, archive] of [
            [workdir, changes.archive],
            ["/tmp", files],
          ] as const) {
            const put = await engine.stream(
              "PUT",
              `/containers/${id}/archive?path=${encodeURIComponent(path)}`,
              archive,
              "application/x-tar",
            );
            const text = await readAll(put);
            if ((put.statusCode ?? 0) >= 300)
              return refused(
                `cannot copy files to ${path}: ${engineMessage({ status: put.statusCode ?? 0, body: safeJson(text) })}`,
              );
          }
          return await startAndCollect(engine, id, runOptions, started);
        } finally {
          await engine.call("DELETE", `/containers/${id}?force=true&v=true`).catch(() => undefined);
        }
      };
      let outcome = await attempt();
      for (const pauseMs of [1000, 3000]) {
        if (!outcome.refusedBeforeStart || runOptions.signal?.aborted) break;
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
        outcome = await attempt();
      }
      return outcome.result;
    },
    async describe(describeOptions): Promise<EnvironmentDescription> {
      const facts = await ensureImage();
      const version = await backend.run("python --version 2>&1 || python3 --version 2>&1", {
        cwd: describeOptions.cwd,
        timeoutSeconds: 120,
      });
      return {
        backend: "docker",
        python: "python (image's testbed env)",
        pythonVersion: version.output.trim().split("\n").at(-1) ?? "unknown",
        imageDigest: facts.digest,
        details: {
          image: options.image,
          image_size_bytes: String(facts.sizeBytes),
          engine: facts.engine,
        },
      };
    },
  };
  return backend;
}

/**
 * Variables inside the container. Host folders named in PYTHONPATH (e.g. the Django test-id shim)
 * do not exist there, and the official image's interpreter is the one the ids were recorded with.
 */
function containerEnvironment(...layers: (Record<string, string> | undefined)[]): Record<string, string> {
  const merged: Record<string, string> = {
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    PYTHONIOENCODING: "utf-8",
    PYTHONDONTWRITEBYTECODE: "1",
  };
  for (const layer of layers) Object.assign(merged, layer);
  delete merged.PYTHONPATH;
  return merged;
}

/**
 * Runs in the container: activate the image's conda env, put the checkout on the workspace's commit
 * (the image is built at the base commit; this only matters if they differ), take the workspace's
 * deletions (its changed files were extracted over the checkout already), then the script.
 */
function wrapperScript(options: { workdir: string; commit?: string }): string {
  return [
    "exec 2>&1",
    "if [ -f /opt/miniconda3/bin/activate ]; then . /opt/miniconda3/bin/activate && conda activate testbed; fi",
    `cd ${options.workdir}`,
    options.commit
      ? `if [ -d .git ] && command -v git >/dev/null && [ "$(git rev-parse HEAD 2>/dev/null)" != ${options.commit} ]; then echo "swegate: the image's checkout is not at ${options.commit}"; fi`
      : "",
    `while IFS= read -r -d '' path; do rm -f -- "$path"; done < ${WRAPPER_DIR}/deleted`,
    `exec bash ${WRAPPER_DIR}/run.sh`,
    "",
  ].join("\n");
}

/**
 * One docker backend per image, chosen per instance (each instance has its own official image);
 * the socket is checked once, up front, so a missing engine fails before any work.
 */
export function createDockerBackendResolver(
  options: Omit<DockerBackendOptions, "image"> = {},
): (instance: Instance) => Backend {
  const socketPath = requireDockerSocket(options.socketPath);
  const backends = new Map<string, Backend>();
  return (instance) => {
    const image = officialImageFor(instance);
    let backend = backends.get(image);
    if (!backend) {
      backend = createDockerBackend({ ...options, image, socketPath });
      backends.set(image, backend);
    }
    return backend;
  };
}
