import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectDockerEngine, findDockerSocket, readAll } from "../docker-engine.js";
import { withoutRecordPadding } from "../workspace-changes.js";

/** An Engine API socket for tests (a private Podman service; its own storage, socket and images, removed by `stop`). */
export interface PodmanService {
  /** Unix socket speaking the Docker Engine API. */
  socketPath: string;
  /** Imports a root filesystem folder as an image with this tag (the API's `docker import`). */
  importImage(rootDir: string, tag: string): Promise<void>;
  /** Stops the service and deletes its storage (or, on the user's own engine, the imported images). */
  stop(): Promise<void>;
}

const whichSync = (command: string) => {
  try {
    return execFileSync("bash", ["-c", 'command -v "$1"', "swegate", command], { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
};

/**
 * Starts `podman system service` on a private socket (runc when installed, else the default
 * runtime; vfs storage so it works inside another container), or returns why it cannot.
 */
export async function startPodmanService(): Promise<PodmanService | string> {
  if (!whichSync("podman")) return "podman is not installed";
  const dir = mkdtempSync(join(tmpdir(), "swegate-podman-"));
  // Everything private, libpod's own state folder included (default /run/libpod, shared by every
  // podman on the machine): no service here can trip over another's or an earlier one's leftovers.
  const global = [
    ...["--root", join(dir, "storage"), "--runroot", join(dir, "run"), "--tmpdir", join(dir, "tmp")],
    ...["--storage-driver", "vfs", "--events-backend", "file"],
  ];
  if (whichSync("runc")) global.push("--runtime", "runc");
  const socketPath = join(dir, "podman.sock");
  const service: ChildProcess = spawn(
    "podman",
    [...global, "system", "service", "--time=0", `unix://${socketPath}`],
    {
      stdio: "ignore",
    },
  );
  for (let attempt = 0; attempt < 200 && !existsSync(socketPath); attempt++) {
    if (service.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!existsSync(socketPath)) {
    service.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    return "podman system service did not start (podman needs root or user namespaces)";
  }
  return {
    socketPath,
    importImage(rootDir, tag) {
      return importImageOverApi(socketPath, rootDir, tag);
    },
    async stop() {
      // The service gone first (it holds the storage lock a reset waits for), and the reset bounded:
      // a stop that hangs would hang the whole test run.
      const exited = new Promise((resolve) => service.once("exit", resolve));
      service.kill("SIGTERM");
      const timer = setTimeout(() => service.kill("SIGKILL"), 10_000);
      if (service.exitCode === null && service.signalCode === null) await exited;
      clearTimeout(timer);
      try {
        execFileSync("podman", [...global, "system", "reset", "--force"], {
          stdio: "ignore",
          timeout: 60_000,
        });
      } catch {
        // Storage is removed with the folder below anyway.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The engine tests and benches use: the user's Docker (or Podman) socket when there is one — images
 * imported into it are deleted by `stop` — else a private Podman service; or why neither can run.
 */
export async function openTestEngine(): Promise<PodmanService | string> {
  const existing = findDockerSocket();
  if (!existing) return startPodmanService();
  const engine = connectDockerEngine(existing);
  const images: string[] = [];
  return {
    socketPath: existing,
    async importImage(rootDir, tag) {
      await importImageOverApi(existing, rootDir, tag);
      images.push(tag);
    },
    async stop() {
      for (const image of images)
        await engine.call("DELETE", `/images/${encodeURIComponent(image)}?force=true`).catch(() => undefined);
    },
  };
}

/**
 * `docker import` through the Engine API (POST /images/create?fromSrc=-), so the same setup works
 * against Docker and against Podman.
 */
export async function importImageOverApi(socketPath: string, rootDir: string, image: string): Promise<void> {
  const colon = image.lastIndexOf(":");
  const [repo, tag] =
    colon > image.lastIndexOf("/") ? [image.slice(0, colon), image.slice(colon + 1)] : [image, "latest"];
  const archive = withoutRecordPadding(
    execFileSync("tar", ["-c", "-f", "-", "-C", rootDir, "."], { maxBuffer: 1024 ** 3 }),
  );
  const response = await connectDockerEngine(socketPath).stream(
    "POST",
    `/images/create?fromSrc=-&repo=${encodeURIComponent(repo)}&tag=${encodeURIComponent(tag)}`,
    archive,
    "application/x-tar",
  );
  const text = await readAll(response);
  if ((response.statusCode ?? 0) >= 300 || /"error/.test(text))
    throw new Error(`cannot import ${image}: ${text.slice(0, 300)}`);
}

/** Python packages the test image's pytest needs (Debian's pytest 7 and its dependencies). */
const PYTEST_PACKAGES = ["pytest", "_pytest", "pluggy", "iniconfig", "packaging", "attr", "attrs", "py.py"];

/**
 * A small root filesystem made of the host's bash, coreutils and python3 (with pytest from Debian's
 * dist-packages), plus `/testbed` copied from `testbed`: enough for the gates, small enough to import
 * in seconds. Returns why not when the host lacks a Debian python3 with pytest.
 */
export function buildTestRoot(rootDir: string, testbed: string): string | undefined {
  const python = "/usr/bin/python3";
  const distPackages = "/usr/lib/python3/dist-packages";
  if (!existsSync(python) || !existsSync(join(distPackages, "pytest")))
    return "the image is made from the host's /usr/bin/python3 with Debian's python3-pytest";
  const version = execFileSync(python, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], {
    encoding: "utf8",
  }).trim();
  const programs = ["bash", "rm", "cat", "mkdir", "ls", "env", "sleep", `python${version}`].map(
    (name) => `/usr/bin/${name}`,
  );
  const libraries = new Set<string>();
  for (const program of programs)
    for (const match of execFileSync("ldd", [program], { encoding: "utf8" }).matchAll(/(\/\S+) \(0x/g)) {
      libraries.add(match[1] as string);
      libraries.add(realpathSync(match[1] as string));
    }
  const stdlib = `/usr/lib/python${version}`;
  const packages = PYTEST_PACKAGES.map((name) => join(distPackages, name)).filter((path) => existsSync(path));
  // Merged /usr as on the host, so a library found as /lib/… or /usr/lib/… is one file.
  for (const folder of ["usr/bin", "usr/lib", "usr/lib64"])
    mkdirSync(join(rootDir, folder), { recursive: true });
  for (const link of ["bin", "lib", "lib64"]) symlinkSync(`usr/${link}`, join(rootDir, link));
  // tar keeps symlinks as symlinks and makes the parent folders (cp --parents trips on /lib → usr/lib).
  const paths = [...programs, ...libraries, stdlib, ...packages].map((path) => path.slice(1));
  const archive = execFileSync("tar", ["-c", "-f", "-", "-C", "/", ...paths], { maxBuffer: 1024 ** 3 });
  execFileSync("tar", ["-x", "-f", "-", "--keep-directory-symlink", "-C", rootDir], { input: archive });
  for (const unused of ["test", "idlelib", "tkinter", "ensurepip", "lib2to3", "pydoc_data"])
    rmSync(join(rootDir, stdlib, unused), { recursive: true, force: true });
  for (const [link, target] of [
    ["usr/bin/python3", `python${version}`],
    ["usr/bin/python", `python${version}`],
    ["usr/bin/sh", "bash"],
  ] as const) {
    if (!existsSync(join(rootDir, link))) symlinkSync(target, join(rootDir, link));
  }
  mkdirSync(join(rootDir, "tmp"), { recursive: true, mode: 0o1777 });
  execFileSync("cp", ["-a", testbed, join(rootDir, "testbed")]);
  return undefined;
}
