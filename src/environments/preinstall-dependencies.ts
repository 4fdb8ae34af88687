import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Spec } from "../specs/spec-for.js";

const run = promisify(execFile);

/** Runs one build step with its output in the build log; the result is a value. */
export type BuildStep = (
  program: string,
  args: string[],
  cwd?: string,
) => Promise<{ code: number; output: string }>;

/** pip options uv does not take (uv builds every project through its PEP 517 backend). */
const PIP_ONLY = new Set(["--no-use-pep517", "--use-pep517", "--verbose", "-v"]);

/**
 * The repository's own dependencies, installed into the shared environment the way its `install`
 * command pulls them, from a checkout of the environment setup commit — then the repository itself
 * removed again (each checkout installs its own, in its layer). Without this, each instance's
 * `pip install -e .` resolves unpinned dependencies against today's index (sphinx 3.5 got a docutils
 * without `docutils.utils.roman`); with it they are resolved once, by uv, no newer than
 * `excludeNewer`, and the instance's install finds them satisfied. Best effort: on failure the
 * build goes on (the instance's install then resolves them) and the reason is returned.
 */
export async function preinstallDependencies(options: {
  spec: Pick<Spec, "install" | "pre_install">;
  /** A checkout of the environment setup commit (removed by the caller). */
  checkout: string;
  python: string;
  uv: string | undefined;
  /** `--index-url …` and `--exclude-newer …` for uv. */
  uvOptions: string[];
  step: BuildStep;
}): Promise<{ ok: true; project?: string; version?: string } | { ok: false; why: string }> {
  const words = /^python -m pip install\s+(.+)$/.exec(options.spec.install?.trim() ?? "")?.[1]?.split(/\s+/);
  if (!words)
    return { ok: false, why: `install command is not "python -m pip install …": ${options.spec.install}` };
  for (const command of options.spec.pre_install) {
    if (!/^\s*(?:sed|grep)\s/.test(command)) continue; // file edits only (apt-get and the like need the image)
    await options.step("bash", ["-c", command], options.checkout);
  }
  const installed = options.uv
    ? await options.step(
        options.uv,
        [
          "pip",
          "install",
          "--python",
          options.python,
          ...options.uvOptions,
          ...words.filter((word) => !PIP_ONLY.has(word)),
        ],
        options.checkout,
      )
    : await options.step(options.python, ["-m", "pip", "install", ...words], options.checkout);
  if (installed.code !== 0)
    return { ok: false, why: installed.output.trim().split("\n").at(-1) ?? "install failed" };
  const { project, version } = (await editableProject(options.step, options.python, options.checkout)) ?? {};
  if (project)
    await (options.uv
      ? options.step(options.uv, ["pip", "uninstall", "--python", options.python, project])
      : options.step(options.python, ["-m", "pip", "uninstall", "-y", project]));
  return { ok: true, project, version };
}

/**
 * The distribution installed from `checkout` (its name as pip lists it, and its version), if any.
 * Asked through the build step: under --backend isolated the environment's interpreter exists only
 * in the sandbox.
 */
async function editableProject(
  step: BuildStep,
  python: string,
  checkout: string,
): Promise<{ project: string; version?: string } | undefined> {
  const { code, output } = await step(python, [
    "-c",
    [
      "import glob, importlib.metadata as m, os, sys, sysconfig",
      "for d in m.distributions():",
      "    t = d.read_text('direct_url.json') or ''",
      "    if sys.argv[1] in t: print('swegate-project:%s==%s' % (d.metadata['Name'], d.version))",
      // `setup.py develop` (pip's legacy editable install) leaves an egg-link instead.
      "for f in glob.glob(os.path.join(sysconfig.get_paths()['purelib'], '*.egg-link')):",
      "    if open(f).readline().strip().startswith(sys.argv[1]): print('swegate-project:%s==' % os.path.basename(f)[:-9])",
    ].join("\n"),
    checkout,
  ]);
  const [, project, version] = /^swegate-project:(.+?)==(.*)$/m.exec(output) ?? [];
  if (code !== 0 || !project) return undefined;
  return { project: project.trim(), version: version?.trim() || undefined };
}

/**
 * A checkout of `commit` in a new temporary folder, cloned from the repository `from` belongs to (a
 * mirror, or a worktree of one) with its objects shared; undefined when git cannot make it. It has a
 * `.git`, which setuptools-scm needs to tell the version.
 */
export async function checkoutCommit(
  from: string,
  commit: string,
  parent: string,
): Promise<string | undefined> {
  try {
    const { stdout } = await run("git", [
      "-C",
      from,
      "rev-parse",
      "--path-format=absolute",
      "--git-common-dir",
    ]);
    const target = await mkdtemp(join(parent, "setup-commit-"));
    await run("git", ["clone", "-q", "--shared", "--no-checkout", stdout.trim(), target]);
    await run("git", ["-C", target, "checkout", "-q", "--detach", commit]);
    return target;
  } catch {
    return undefined;
  }
}
