import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Instance } from "../dataset/instance.js";
import type { Backend, CommandResult, RunOptions } from "../exec/backend.js";
import { specFor } from "../specs/spec-for.js";
import { git } from "../workspace/git.js";
import { runtimeRequirements } from "./build-requirements.js";
import type { EnvironmentChoice } from "./per-instance-environments.js";
import { checkoutCommit } from "./preinstall-dependencies.js";
import {
  buildFailureLine,
  buildSpecEnvironment,
  findUv,
  recordSpecEnvironmentUse,
  type SpecEnvironmentResult,
  specEnvironmentsDir,
} from "./spec-environments.js";
import type { RepositoryFileReader } from "./spec-requirements.js";
import {
  chooseSpecSandbox,
  type SpecSandbox,
  sandboxedLayerInstall,
  sandboxedLayerStep,
} from "./spec-sandbox.js";

const run = promisify(execFile);

/**
 * Pre-install steps of the harness's image that need root and the image's own system (apt-get,
 * locale-gen, edits under /etc): a spec environment cannot run them, and says so in the build log.
 */
const IMAGE_ONLY_STEP = /^\s*(?:apt-get|apt\s|locale-gen|echo\s.*>\s*\/etc\/)|\/etc\//;

/** Layers this process made (a layer is reused only by the process that made it). */
const layersMadeHere = new Set<string>();

const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/** A shared environment as a run needs it: the build's result and, under --backend isolated, its sandbox. */
type SharedEnvironment = SpecEnvironmentResult & { sandbox?: SpecSandbox };
type BuiltEnvironment = Extract<SharedEnvironment, { ok: true }>;

/**
 * What the per-run install sees in the sandbox, which has no network: pip and uv never ask an index
 * and build with what the shared environment holds (its build requirements were installed with it).
 * pip reads PIP_NO_BUILD_ISOLATION inverted: `0` turns build isolation off, as `--no-build-isolation` does.
 */
const OFFLINE_INSTALL: Record<string, string> = {
  PIP_NO_INDEX: "1",
  PIP_NO_BUILD_ISOLATION: "0",
  UV_OFFLINE: "1",
  UV_NO_BUILD_ISOLATION: "1",
  UV_PYTHON_DOWNLOADS: "never",
};

/**
 * `--spec-env`: each instance runs in the virtual environment the harness's spec names for its
 * repo@version (built on first need, then cached: `spec-environments.ts`), through the `inner`
 * backend (host). The repository itself is installed per workspace, never into the shared
 * environment: each checkout gets a thin virtual environment of its own (a layer) whose
 * site-packages come first and whose `.pth` adds the shared environment's after them, so an
 * instance's `pip install -e .` (or compiled build) is seen by that instance only. As in the
 * harness's eval script, the spec's install command runs before every test run (after the patches,
 * from a clean checkout each time); its output precedes the test log, and a failed install prints
 * `build_failed` lines that the red gate reads as env_broken (the green gate does not: there a
 * candidate that breaks the build is the candidate's failure, as in the harness).
 *
 * With `chooseSandbox` (`--backend isolated`) the shared environment is built inside the bubblewrap
 * sandbox of the environment nearest the spec's Python, from that environment's interpreter, with the
 * network; each run then sees the shared environment read-only and its checkout's layer writable
 * (never another's), with no network, and installs the checkout offline.
 */
export function createSpecEnvironmentResolver(options: {
  cacheDir: string;
  inner: Backend;
  /** Reads a repository file at a commit from a checkout (the commit fetched when missing). */
  readAt: (cwd: string, instance: Instance) => RepositoryFileReader;
  indexUrl?: string;
  /** With uv: no package uploaded after this date. */
  excludeNewer?: string;
  /** Under --backend isolated: the environment for a Python (`3.9`), whose sandbox builds and runs. */
  chooseSandbox?: (wanted: string) => Promise<EnvironmentChoice>;
  progress: (line: string) => void;
}): (instance: Instance) => Backend {
  const builds = new Map<string, Promise<SharedEnvironment>>();
  const build = async (instance: Instance, cwd: string): Promise<SharedEnvironment> => {
    const sandbox = options.chooseSandbox
      ? await chooseSpecSandbox(instance, options.chooseSandbox)
      : undefined;
    if (sandbox && !("interpreter" in sandbox)) return sandbox;
    const result = await buildSpecEnvironment({
      cacheDir: options.cacheDir,
      instance,
      read: options.readAt(cwd, instance),
      checkout: () =>
        checkoutCommit(
          cwd,
          instance.environment_setup_commit || instance.base_commit,
          specEnvironmentsDir(options.cacheDir),
        ),
      indexUrl: options.indexUrl,
      excludeNewer: options.excludeNewer,
      sandbox,
      onProgress: (line) => options.progress(`spec env ${line}`),
    });
    return { ...result, sandbox };
  };
  const shared = (instance: Instance, cwd: string) => {
    const key = `${instance.repo}@${instance.version}@${instance.environment_setup_commit ?? instance.base_commit}`;
    let built = builds.get(key);
    if (!built) {
      built = build(instance, cwd);
      builds.set(key, built);
    }
    return built;
  };
  return (instance) => specEnvironmentBackend(instance, shared, options);
}

function specEnvironmentBackend(
  instance: Instance,
  shared: (instance: Instance, cwd: string) => Promise<SharedEnvironment>,
  options: { cacheDir: string; inner: Backend; indexUrl?: string; excludeNewer?: string },
): Backend {
  const used = new Set<string>();
  return {
    name: options.inner.name,
    collectsEvidence: options.inner.collectsEvidence,
    async run(script: string, runOptions: RunOptions): Promise<CommandResult> {
      const environment = await shared(instance, runOptions.cwd);
      if (!environment.ok) return unavailable(environment.reason, environment.evidence);
      if (!used.has(environment.record.name)) {
        used.add(environment.record.name);
        recordSpecEnvironmentUse(options.cacheDir, environment.record.name, instance.instance_id);
      }
      const layer = await ensureLayer(environment, runOptions.cwd, instance.instance_id, options);
      writeFileSync(join(layer, "script.sh"), script);
      const { sandbox } = environment;
      const wrapped = installThenRun(instance, environment.record.name, layer, !sandbox);
      if (sandbox)
        return undoingPreinstallEdits(instance, runOptions.cwd, () =>
          sandbox
            .backend({
              binds: [
                { path: join(environment.dir, "venv"), writable: false },
                { path: layer, writable: true },
              ],
              pathFirst: [join(layer, "bin")],
            })
            .run(wrapped, {
              ...runOptions,
              env: { ...runOptions.env, ...sandboxedRunEnvironment(environment), VIRTUAL_ENV: layer },
            }),
        );
      const env: Record<string, string> = {
        ...runOptions.env,
        PATH: `${join(layer, "bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`,
        VIRTUAL_ENV: layer,
      };
      if (options.indexUrl) env.PIP_INDEX_URL = options.indexUrl;
      return options.inner.run(wrapped, { ...runOptions, env });
    },
    async describe(describeOptions) {
      const environment = await shared(instance, describeOptions.cwd);
      const inner =
        environment.ok && environment.sandbox
          ? environment.sandbox.backend({ binds: [{ path: join(environment.dir, "venv"), writable: false }] })
          : options.inner;
      const described = await inner.describe(describeOptions);
      if (!environment.ok)
        return {
          ...described,
          pythonVersion: "unavailable",
          details: {
            ...described.details,
            unavailable: `${environment.reason}: ${environment.evidence[0] ?? ""}`,
          },
        };
      const { record } = environment;
      return {
        ...described,
        python: join(environment.dir, "venv", "bin", "python"),
        pythonVersion: record.python_version,
        imageDigest: record.digest,
        details: {
          ...described.details,
          root: `spec ${record.name}`,
          spec_python: record.spec_python,
          spec_environment: record.name,
          packages: record.freeze.join(" "),
        },
      };
    },
  };
}

/** What a run prints when the shared environment cannot be had: the build's reason and evidence. */
function unavailable(reason: Parameters<typeof buildFailureLine>[0], evidence: string[]): CommandResult {
  return {
    exitCode: 1,
    output: `${evidence.map((line) => buildFailureLine(reason, line)).join("\n")}\n`,
    durationMs: 0,
    timedOut: false,
    truncatedBytes: 0,
  };
}

/**
 * A sandboxed run's install variables: offline, and (the checkout's `.git` points at a mirror the
 * sandbox does not show) setuptools-scm told the version the setup commit's install had.
 */
function sandboxedRunEnvironment(environment: BuiltEnvironment): Record<string, string> {
  const version = environment.record.repository_version;
  return { ...OFFLINE_INSTALL, ...(version ? { SETUPTOOLS_SCM_PRETEND_VERSION: version } : {}) };
}

/**
 * The checkout's own layer over the shared environment, made anew when another instance used the
 * checkout last (what it installed must not be seen). Outside the checkout, so nothing of it enters
 * the candidate's diff or survives a `git clean`.
 */
async function ensureLayer(
  environment: BuiltEnvironment,
  cwd: string,
  instanceId: string,
  index: { indexUrl?: string; excludeNewer?: string },
): Promise<string> {
  const layer = join(environment.dir, "layers", createHash("sha256").update(cwd).digest("hex").slice(0, 16));
  const owner = join(layer, "instance.txt");
  // Made anew by each process too: one left by another process may be half made or older.
  if (layersMadeHere.has(layer) && existsSync(owner) && readFileSync(owner, "utf8") === instanceId)
    return layer;
  layersMadeHere.add(layer);
  rmSync(layer, { recursive: true, force: true });
  mkdirSync(join(environment.dir, "layers"), { recursive: true });
  const base = environment.record.base_interpreter;
  const uv = findUv();
  const step = layerStep(environment, layer, uv);
  if (uv) await step(uv, ["venv", "--quiet", "--python", base, layer]);
  else await step(base, ["-m", "venv", "--without-pip", layer]);
  const purelib = await step(join(layer, "bin", "python"), [
    "-c",
    "import sysconfig; print('swegate-purelib:' + sysconfig.get_paths()['purelib'])",
  ]);
  // `site.addsitedir` (not a bare path line) so the shared environment's own .pth files are read too.
  writeFileSync(
    join(/^swegate-purelib:(.+)$/m.exec(purelib)?.[1] ?? "", "_swegate_spec_environment.pth"),
    `import site; site.addsitedir(${JSON.stringify(environment.record.site_packages)})\n`,
  );
  linkSharedCommands(join(environment.dir, "venv", "bin"), join(layer, "bin"));
  if (environment.sandbox) await addMissingRequirements(environment, cwd, layer, uv, index);
  writeFileSync(owner, instanceId);
  return layer;
}

/** Prints each requirement the layer's interpreter does not satisfy (markers evaluated) as `swegate-missing:…`. */
const UNSATISFIED = `import sys
try:
    from importlib import metadata
    version_of = metadata.version
except ImportError:
    import pkg_resources
    version_of = lambda name: pkg_resources.get_distribution(name).version
try:
    from packaging.requirements import Requirement
except ImportError:
    from pip._vendor.packaging.requirements import Requirement
for line in sys.argv[1:]:
    try:
        requirement = Requirement(line)
    except Exception:
        continue
    if requirement.marker is not None and not requirement.marker.evaluate():
        continue
    try:
        version = version_of(requirement.name)
    except Exception:
        print("swegate-missing:" + line)
        continue
    if requirement.specifier and not requirement.specifier.contains(version, prereleases=True):
        print("swegate-missing:" + line)
`;

/**
 * Under `--backend isolated` each run installs the checkout offline, from the shared environment
 * built at the setup commit. A base commit may declare other versions (pylint 2.13's base wants
 * `astroid<=2.10.0-dev0`, its setup commit installed 2.11.3), which the harness's per-run install
 * would fetch: those its files declare without running code (`runtimeRequirements`) and the shared
 * environment does not satisfy are installed into the layer when it is made, as wheels, with the
 * network, in the sandbox. What cannot be had stays missing, and the offline install says so.
 */
async function addMissingRequirements(
  environment: BuiltEnvironment,
  cwd: string,
  layer: string,
  uv: string | undefined,
  index: { indexUrl?: string; excludeNewer?: string },
): Promise<void> {
  const { sandbox } = environment;
  if (!sandbox) return;
  const declared = await runtimeRequirements(async (path) => {
    const file = join(cwd, path);
    return existsSync(file) ? readFileSync(file, "utf8") : undefined;
  });
  if (declared.length === 0) return;
  const asked = await layerStep(
    environment,
    layer,
    uv,
  )(join(layer, "bin", "python"), ["-c", UNSATISFIED, ...declared]).catch((error: unknown) =>
    error instanceof Error ? error.message : String(error),
  );
  const missing = [...asked.matchAll(/^swegate-missing:(.+)$/gm)].map((match) => match[1] ?? "");
  if (missing.length === 0) return;
  const env: Record<string, string> = { PIP_DISABLE_PIP_VERSION_CHECK: "1" };
  if (index.indexUrl) env.PIP_INDEX_URL = index.indexUrl;
  const options = [
    ...(uv && index.indexUrl ? ["--index-url", index.indexUrl] : []),
    ...(uv && index.excludeNewer ? ["--exclude-newer", index.excludeNewer] : []),
  ];
  // The build tools stay the shared environment's (a dependency's `setuptools>=20` would otherwise
  // bring today's setuptools into the layer, in front of the harness's pin, for the install after).
  const tools = environment.record.freeze.filter((line) => /^(pip|setuptools|wheel)==/i.test(line));
  const constraints = join(layer, "constraints.txt");
  writeFileSync(constraints, `${tools.join("\n")}\n`);
  const install = sandboxedLayerInstall(sandbox, { venv: join(environment.dir, "venv"), layer, uv, env });
  const result = await install([...options, ...(tools.length > 0 ? ["-c", constraints] : []), ...missing]);
  writeFileSync(
    join(layer, "requirements.log"),
    `swegate: the checkout declares ${missing.join(" ")}, which the shared environment does not satisfy\n${result.output}`,
  );
}

/**
 * Runs a command that makes or asks the layer: on the host, or in the sandbox (the layer's base
 * interpreter exists only there) seeing the shared environment and this layer alone. Its output, or
 * an error with it when the command fails (a layer that cannot be made is a fault, not a verdict).
 */
function layerStep(
  environment: BuiltEnvironment,
  layer: string,
  uv: string | undefined,
): (program: string, args: string[]) => Promise<string> {
  const inSandbox = environment.sandbox
    ? sandboxedLayerStep(environment.sandbox, join(environment.dir, "venv"), layer, uv)
    : undefined;
  return async (program, args) => {
    if (!inSandbox)
      return (await run(program, args, { env: { ...process.env, UV_PYTHON_DOWNLOADS: "never" } })).stdout;
    const result = await inSandbox(program, args);
    if (result.code !== 0)
      throw new Error(
        `cannot make the layer ${layer}: ${program} ${args.join(" ")}: ${result.output.trim()}`,
      );
    return result.output;
  };
}

/**
 * The shared environment's commands (`tox`, `pytest`, …) in the layer's bin, each run by the layer's
 * interpreter: the shared script's own `#!` names the shared interpreter, which would not see what
 * the instance installed into its layer (sphinx's `tox --current-env` ran without its test extras).
 */
function linkSharedCommands(sharedBin: string, layerBin: string): void {
  for (const name of readdirSync(sharedBin)) {
    if (/^(python|activate|deactivate)/.test(name) || existsSync(join(layerBin, name))) continue;
    const path = join(sharedBin, name);
    if (!statSync(path).isFile()) continue;
    if (startsWithShebang(path))
      writeFileSync(
        join(layerBin, name),
        `#!/bin/sh\nexec ${quote(join(layerBin, "python"))} ${quote(path)} "$@"\n`,
        {
          mode: 0o755,
        },
      );
    else symlinkSync(path, join(layerBin, name));
  }
}

/**
 * `tox --current-env -eNAME` (sphinx) runs the tests with `.tox/NAME/bin/python`, a symlink to the
 * running interpreter. A symlinked virtual-environment interpreter finds its `pyvenv.cfg` beside the
 * link, not beside its target, and starts as the bare base Python (a conda environment's interpreter
 * has no such file to lose). So `.tox/NAME` gets the layer's `pyvenv.cfg` and its `lib`, and the
 * symlinked interpreter starts in the layer. `.tox` is ignored by git and cleaned between gates.
 */
function currentEnvironmentForTox(testCommand: string, layer: string): string[] {
  const name = /\btox\b.*--current-env\b.*?-e\s*([\w.-]+)/.exec(testCommand)?.[1];
  if (!name) return [];
  const dir = `.tox/${name}`;
  return [
    `mkdir -p ${quote(dir)} && cp ${quote(join(layer, "pyvenv.cfg"))} ${quote(`${dir}/pyvenv.cfg`)} && ln -sfn ${quote(join(layer, "lib"))} ${quote(`${dir}/lib`)}`,
  ];
}

function startsWithShebang(path: string): boolean {
  const descriptor = openSync(path, "r");
  try {
    const head = Buffer.alloc(2);
    readSync(descriptor, head, 0, 2, 0);
    return head.toString() === "#!";
  } finally {
    closeSync(descriptor);
  }
}

/** The spec's pre-install commands, `/testbed` (the image's checkout) read as the run's folder. */
function preinstallSteps(instance: Instance): string[] {
  return specFor(instance).pre_install.map((command) => command.replaceAll("/testbed", "$PWD"));
}

/**
 * Under --backend isolated the checkout's git is not in the sandbox (its `.git` names a mirror the
 * sandbox does not show), so the pre-install steps' edits are undone from the host, as the script
 * does on the host backend: the tracked files' changes before the run are kept, the rest reverted.
 */
async function undoingPreinstallEdits(
  instance: Instance,
  cwd: string,
  run: () => Promise<CommandResult>,
): Promise<CommandResult> {
  if (!preinstallSteps(instance).some((command) => !IMAGE_ONLY_STEP.test(command))) return run();
  const before = await git(["diff", "--binary"], { cwd });
  try {
    return await run();
  } finally {
    await git(["checkout", "-q", "--", "."], { cwd });
    if (before.code === 0 && before.stdout)
      await git(["apply", "--binary", "-"], { cwd, input: before.stdout });
  }
}

/**
 * The script a run becomes: the spec's pre-install steps a checkout can take (file edits; image-only
 * steps are named and skipped), its install command with the output kept in the layer's
 * `install.log` and printed, `build_failed` lines when it fails, then the original script. The
 * pre-install steps' edits of tracked files are undone after the run, so they never reach a diff.
 */
function installThenRun(instance: Instance, name: string, layer: string, undoEditsHere = true): string {
  const spec = specFor(instance);
  const steps = preinstallSteps(instance);
  const runnable = steps.filter((command) => !IMAGE_ONLY_STEP.test(command));
  const undo = undoEditsHere && runnable.length > 0;
  const lines = ["set +e", `echo ${quote(`swegate: spec environment ${name}: install into ${layer}`)}`];
  for (const command of steps.filter((command) => IMAGE_ONLY_STEP.test(command)))
    lines.push(`echo ${quote(`swegate: pre_install step skipped (needs the image's system): ${command}`)}`);
  if (undo) lines.push("swegate_before=$(mktemp)", 'git diff --binary > "$swegate_before" 2>/dev/null');
  for (const command of runnable)
    lines.push(
      `${command} || echo ${quote(buildFailureLine("build_failed", `pre_install step failed: ${command}`))}`,
    );
  if (spec.install) {
    const log = quote(join(layer, "install.log"));
    lines.push(
      `( ${spec.install} ) > ${log} 2>&1 < /dev/null`,
      "swegate_status=$?",
      `cat ${log}`,
      'if [ "$swegate_status" -ne 0 ]; then',
      // Its error lines and its last line (a traceback's last line says what was wrong).
      `  { grep -iE 'error|not found|No matching distribution' ${log} | tail -n 4; tail -n 1 ${log}; } | awk '!seen[$0]++' | sed 's/^[[:space:]]*/${buildFailureLine("build_failed", "").replaceAll("/", "\\/")}/'`,
      `  printf '%s%s: %s\\n' ${quote(buildFailureLine("build_failed", "the install command exited "))} "$swegate_status" ${quote(spec.install)}`,
      "fi",
    );
  }
  lines.push(...currentEnvironmentForTox(spec.test_cmd, layer));
  lines.push(`bash ${quote(join(layer, "script.sh"))}`, "swegate_exit=$?");
  if (undo)
    lines.push(
      'git checkout -q -- . 2>/dev/null; git apply --binary "$swegate_before" 2>/dev/null; rm -f "$swegate_before"',
    );
  lines.push('exit "$swegate_exit"', "");
  return lines.join("\n");
}
