import { execFileSync } from "node:child_process";
import { copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { basename, join } from "node:path";

/** A wheel to build: its distribution name, version and files (path → text). */
export interface WheelSpec {
  name: string;
  version: string;
  files: Record<string, string>;
}

// Writes pure-Python wheels by hand (a zip with a dist-info: METADATA, WHEEL, RECORD), so the
// index needs no build tool and no network.
const WHEEL_WRITER = `
import base64, hashlib, json, sys, zipfile
spec = json.loads(sys.argv[1]); folder = sys.argv[2]
name = spec["name"].replace("-", "_"); info = "%s-%s.dist-info" % (name, spec["version"])
files = dict(spec["files"])
files[info + "/METADATA"] = "Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (spec["name"], spec["version"])
files[info + "/WHEEL"] = "Wheel-Version: 1.0\\nGenerator: swegate-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
record = []
path = "%s/%s-%s-py3-none-any.whl" % (folder, name, spec["version"])
with zipfile.ZipFile(path, "w") as wheel:
    for file, text in files.items():
        data = text.encode()
        wheel.writestr(file, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (file, digest, len(data)))
    record.append(info + "/RECORD,,")
    wheel.writestr(info + "/RECORD", "\\n".join(record) + "\\n")
print(path)
`;

/** Builds a wheel into `folder` with `python` (any Python 3); returns its path. */
export function buildWheel(python: string, folder: string, spec: WheelSpec): string {
  mkdirSync(folder, { recursive: true });
  return execFileSync(python, ["-c", WHEEL_WRITER, JSON.stringify(spec), folder], {
    encoding: "utf8",
  }).trim();
}

/**
 * pip's and setuptools' own wheels as this machine has them (Python's bundled ensurepip wheels, or
 * Debian's python3-pip-whl / python3-setuptools-whl), copied into `folder`: a virtual environment
 * seeded from the local index needs them. Returns the names copied.
 */
export function copyBundledWheels(python: string, folder: string): string[] {
  const bundled = execFileSync(
    python,
    ["-c", "import ensurepip, os; print(os.path.join(os.path.dirname(ensurepip.__file__), '_bundled'))"],
    { encoding: "utf8" },
  ).trim();
  const copied: string[] = [];
  for (const dir of [bundled, "/usr/share/python-wheels"]) {
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)) {
      const project = file.split("-")[0] ?? "";
      if (!/\.whl$/.test(file) || !["pip", "setuptools"].includes(project)) continue;
      if (copied.some((name) => name.split("-")[0] === project)) continue;
      copyFileSync(join(dir, file), join(folder, file));
      copied.push(file);
    }
  }
  return copied;
}

const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");

/**
 * Serves a folder of wheels on 127.0.0.1 as a PEP 503 "simple" index: `/simple/<project>/` lists the
 * project's files, `/files/<file>` serves one. Returns the index URL and the server to close.
 */
export async function serveSimpleIndex(folder: string): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname);
    const project = /^\/simple\/([^/]+)\/?$/.exec(path)?.[1];
    if (project) {
      const files = readdirSync(folder).filter(
        (file) => normalize(file.split("-")[0] ?? "") === normalize(project),
      );
      if (files.length === 0) {
        response.writeHead(404).end("not found");
        return;
      }
      response.writeHead(200, { "content-type": "text/html" });
      response.end(
        `<html><body>${files.map((file) => `<a href="/files/${file}">${file}</a>`).join("<br>")}</body></html>`,
      );
      return;
    }
    const file = /^\/files\/([^/]+)$/.exec(path)?.[1];
    if (file && existsSync(join(folder, basename(file)))) {
      response.writeHead(200, { "content-type": "application/octet-stream" });
      createReadStream(join(folder, basename(file))).pipe(response);
      return;
    }
    response.writeHead(404).end("not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/simple/`, server };
}

/**
 * A wheel of the `wheel` package rebuilt from an installed copy (Debian's python3-wheel, or any
 * Python's), with its `bdist_wheel` command registered as setuptools looks for it; undefined when no
 * interpreter here has `wheel`. Environments are seeded with it, and setuptools < 70.1 needs it to
 * build any project through PEP 517 (as uv does).
 */
export function copyWheelPackage(folder: string): string | undefined {
  for (const python of ["python3", "/usr/bin/python3"]) {
    let found: string;
    try {
      found = execFileSync(
        python,
        ["-c", "import os, wheel; print(os.path.dirname(wheel.__file__)); print(wheel.__version__)"],
        {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
        },
      ).trim();
    } catch {
      continue;
    }
    const [dir = "", version = "0"] = found.split("\n");
    const files: Record<string, string> = {};
    const walk = (path: string, relative: string) => {
      for (const entry of readdirSync(path, { withFileTypes: true })) {
        if (entry.name === "__pycache__") continue;
        if (entry.isDirectory()) walk(join(path, entry.name), `${relative}/${entry.name}`);
        else if (entry.name.endsWith(".py"))
          files[`${relative}/${entry.name}`] = readFileSync(join(path, entry.name), "utf8");
      }
    };
    walk(dir, "wheel");
    files[`wheel-${version}.dist-info/entry_points.txt`] =
      "[distutils.commands]\nbdist_wheel = wheel.bdist_wheel:bdist_wheel\n";
    return buildWheel(python, folder, { name: "wheel", version, files });
  }
  return undefined;
}
