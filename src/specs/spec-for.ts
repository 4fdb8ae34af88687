import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Instance } from "../dataset/instance.js";

/** The harness's per repo+version facts (data/specs.json, from SWE-bench v4.1.0 plus later overrides). */
export interface Spec {
  /** Python version the official image uses, e.g. `3.9`. */
  python: string | undefined;
  /**
   * The environment's package list: `requirements.txt` (the repository's requirements file),
   * `environment.yml` (its conda environment file) or an explicit list of conda packages.
   */
  packages: string | undefined;
  /** Install step run in the repository (e.g. `python -m pip install -e .`). */
  install: string | undefined;
  /** Commands run before install in the image. */
  pre_install: string[];
  /** pip packages the image adds. */
  pip_packages: string[];
  /** Commands the eval script runs before the tests (locale setup, env exports). */
  eval_commands: string[];
  /**
   * Test command without directives, e.g. `pytest -rA`. A list in specs.json (non-Python repos) is
   * joined by newlines: the harness writes each entry as its own script line and adds no directives.
   */
  test_cmd: string;
  /** False when `test_cmd` came from a list (the harness then appends no test directives). */
  takes_directives: boolean;
  /** Registry name of the log parser, e.g. `parse_log_pytest`. */
  log_parser: string;
  /** The row's own eval script (v5 rows), run instead of assembling one from this spec. */
  eval_script: string | undefined;
  /**
   * True when the repo/version is not in the harness's table: an unknown repository runs as generic
   * pytest; an unknown version of a known repository borrows its newest known version.
   */
  generic: boolean;
  /** For an unknown version of a known repository: the known version whose facts were used. */
  borrowed_version: string | undefined;
}

type RawSpec = Partial<Record<keyof Spec, unknown>> & Record<string, unknown>;

let table: Record<string, Record<string, RawSpec>> | undefined;

function specsTable(): Record<string, Record<string, RawSpec>> {
  if (!table) {
    const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
    table = JSON.parse(readFileSync(join(root, "data", "specs.json"), "utf8")) as Record<
      string,
      Record<string, RawSpec>
    >;
  }
  return table;
}

const asList = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : typeof value === "string" && value ? [value] : [];

/** Environment fields a dataset row may carry itself (columns of these names win over the table). */
const ROW_ENVIRONMENT_FIELDS = ["python", "packages", "pip_packages", "pre_install", "install"] as const;

/** The harness's log parser for each repository (its MAP_REPO_TO_PARSER). */
const REPO_PARSERS: Record<string, string> = {
  "astropy/astropy": "parse_log_astropy",
  "django/django": "parse_log_django",
  "marshmallow-code/marshmallow": "parse_log_marshmallow",
  "matplotlib/matplotlib": "parse_log_matplotlib",
  "mwaskom/seaborn": "parse_log_seaborn",
  "pallets/flask": "parse_log_flask",
  "psf/requests": "parse_log_requests",
  "pvlib/pvlib-python": "parse_log_pvlib",
  "pydata/xarray": "parse_log_xarray",
  "pydicom/pydicom": "parse_log_pydicom",
  "pylint-dev/astroid": "parse_log_astroid",
  "pylint-dev/pylint": "parse_log_pylint",
  "pytest-dev/pytest": "parse_log_pytest",
  "pyvista/pyvista": "parse_log_pyvista",
  "scikit-learn/scikit-learn": "parse_log_scikit",
  "sqlfluff/sqlfluff": "parse_log_sqlfluff",
  "sphinx-doc/sphinx": "parse_log_sphinx",
  "sympy/sympy": "parse_log_sympy",
};

/**
 * The spec for an instance. A row's own `test_cmd` / `log_parser` (v5 rows) win; a repository the
 * harness does not know is run as generic pytest (`pytest -rA`, the pytest parser); an unknown
 * version of a known repository uses the repository's newest known version, flagged `generic` and
 * named in `borrowed_version`. Why not refuse: a new release of a SWE-bench repository almost always
 * keeps its test runner and parser, and callers that need exact facts can check the flag.
 */
export function specFor(instance: Pick<Instance, "repo" | "version" | "extra">): Spec {
  const versions = specsTable()[instance.repo];
  const known = versions?.[instance.version];
  const fallbackVersion = versions ? Object.keys(versions).sort(compareVersions).at(-1) : undefined;
  const table: RawSpec = known ?? (fallbackVersion ? (versions?.[fallbackVersion] ?? {}) : {});
  // A row's own environment fields win, like its test_cmd (a private dataset's repositories).
  const raw: RawSpec = { ...table };
  for (const key of ROW_ENVIRONMENT_FIELDS)
    if (instance.extra[key] !== undefined) raw[key] = instance.extra[key];
  const rowTestCommand = instance.extra.test_cmd;
  const rowParser = instance.extra.log_parser;
  const testCommand = typeof rowTestCommand === "string" ? rowTestCommand : asList(raw.test_cmd).join("\n");
  return {
    python: typeof raw.python === "string" ? raw.python : undefined,
    packages: typeof raw.packages === "string" ? raw.packages : undefined,
    install: typeof raw.install === "string" ? raw.install : undefined,
    pre_install: asList(raw.pre_install),
    pip_packages: asList(raw.pip_packages),
    eval_commands: asList(raw.eval_commands),
    test_cmd: testCommand || "pytest -rA",
    takes_directives: typeof rowTestCommand === "string" || !Array.isArray(raw.test_cmd),
    log_parser:
      (typeof rowParser === "string" && rowParser) ||
      (typeof raw.log_parser === "string" && raw.log_parser) ||
      REPO_PARSERS[instance.repo] ||
      "parse_log_pytest",
    eval_script: typeof instance.extra.eval_script === "string" ? instance.extra.eval_script : undefined,
    generic: !known,
    borrowed_version: !known && versions ? fallbackVersion : undefined,
  };
}

function compareVersions(left: string, right: string): number {
  const a = left.split(".").map(Number);
  const b = right.split(".").map(Number);
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}
