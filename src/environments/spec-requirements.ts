import { parse } from "yaml";
import type { Spec } from "../specs/spec-for.js";
import { pypiName } from "./conda-to-pypi.js";

/** Where the harness reads a repository's requirements file, first found wins (its MAP_REPO_TO_REQS_PATHS). */
export const REQUIREMENTS_PATHS: Record<string, string[]> = {
  "dbt-labs/dbt-core": ["dev-requirements.txt", "dev_requirements.txt"],
  "django/django": ["tests/requirements/py3.txt"],
  "matplotlib/matplotlib": ["requirements/dev/dev-requirements.txt", "requirements/testing/travis_all.txt"],
  "pallets/flask": ["requirements/dev.txt"],
  "pylint-dev/pylint": ["requirements_test.txt"],
  "pyvista/pyvista": ["requirements_test.txt", "requirements.txt"],
  "sqlfluff/sqlfluff": ["requirements_dev.txt"],
  "sympy/sympy": ["requirements-dev.txt", "requirements-test.txt"],
};

/** Where the harness reads a repository's conda environment file (its MAP_REPO_TO_ENV_YML_PATHS). */
export const ENVIRONMENT_YML_PATHS: Record<string, string[]> = {
  "matplotlib/matplotlib": ["environment.yml"],
  "pydata/xarray": ["ci/requirements/environment.yml", "environment.yml"],
};

/** What a spec environment installs, in the harness's order: the package list, then `pip_packages`. */
export interface SpecRequirements {
  /** Requirement lines for the package list (a requirements file's lines, or single requirements). */
  packages: string[];
  /** The spec's `pip_packages`, with their pins, as they are. */
  pipPackages: string[];
  /** Where the package list came from: `requirements.txt at <path>`, `environment.yml at <path>`, `explicit`, `none`. */
  source: string;
  /** Conda packages left out because PyPI has no Python package for them (`conda-to-pypi.ts`). */
  skipped: string[];
}

/** Reads a file of the repository at the instance's environment setup commit; undefined when absent. */
export type RepositoryFileReader = (path: string) => Promise<string | undefined>;

/** Thrown when the repository lacks the file its spec names: the environment cannot be built as specified. */
export class MissingRequirementsError extends Error {}

/**
 * The spec's package list as pip requirements. `requirements.txt` means the repository's own
 * requirements file read at the environment setup commit the way the harness reads it (one level of
 * `-r` included, `-e .`, comments and `.[test` lines dropped); `environment.yml` means its conda
 * environment file, each conda name mapped to its PyPI name; anything else is an explicit list of
 * conda packages (`'numpy==1.19.2' scipy`), mapped the same way.
 */
export async function specRequirements(
  repo: string,
  spec: Pick<Spec, "pip_packages"> & { packages?: string },
  read: RepositoryFileReader,
): Promise<SpecRequirements> {
  const base = { pipPackages: spec.pip_packages, skipped: [] as string[] };
  const packages = spec.packages?.trim() ?? "";
  if (!packages) return { ...base, packages: [], source: "none" };
  if (packages === "requirements.txt") {
    for (const path of REQUIREMENTS_PATHS[repo] ?? []) {
      const text = await read(path);
      if (text !== undefined)
        return {
          ...base,
          packages: await requirementLines(text, path, read),
          source: `requirements.txt at ${path}`,
        };
    }
    throw new MissingRequirementsError(
      `no requirements file (${(REQUIREMENTS_PATHS[repo] ?? ["none known for this repository"]).join(", ")}) at the environment setup commit`,
    );
  }
  if (packages === "environment.yml") {
    for (const path of ENVIRONMENT_YML_PATHS[repo] ?? []) {
      const text = await read(path);
      if (text !== undefined)
        return { ...base, ...condaEnvironmentRequirements(text), source: `environment.yml at ${path}` };
    }
    throw new MissingRequirementsError(
      `no environment.yml (${(ENVIRONMENT_YML_PATHS[repo] ?? ["none known for this repository"]).join(", ")}) at the environment setup commit`,
    );
  }
  const mapped = splitShellWords(packages).map(condaRequirement);
  return {
    ...base,
    packages: mapped.flatMap((entry) => (entry.requirement ? [entry.requirement] : [])),
    skipped: mapped.flatMap((entry) => (entry.requirement ? [] : [entry.name])),
    source: "explicit",
  };
}

const EXCLUDED_LINE = /^\s*(?:-e \.|#|\.\[test)/;

/** A requirements file's lines as the harness keeps them: included `-r` files first, then its own. */
async function requirementLines(text: string, path: string, read: RepositoryFileReader): Promise<string[]> {
  const dir = path.split("/").slice(0, -1).join("/");
  const own: string[] = [];
  const included: string[] = [];
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed.startsWith("-r")) {
      const name = trimmed.slice(2).trim();
      const nested = await read(dir ? `${dir}/${name}` : name);
      for (const nestedLine of nested?.split("\n") ?? [])
        if (!EXCLUDED_LINE.test(nestedLine) && nestedLine.trim()) included.push(nestedLine.trim());
    } else if (!EXCLUDED_LINE.test(line) && trimmed) own.push(trimmed);
  }
  return [...included, ...own];
}

/** A conda environment file's dependencies as pip requirements (its `pip:` entries as they are). */
export function condaEnvironmentRequirements(text: string): { packages: string[]; skipped: string[] } {
  const parsed = parse(text) as { dependencies?: unknown[] } | null;
  const packages: string[] = [];
  const skipped: string[] = [];
  for (const dependency of parsed?.dependencies ?? []) {
    if (typeof dependency === "string") {
      const entry = condaRequirement(dependency);
      if (entry.requirement) packages.push(entry.requirement);
      else skipped.push(entry.name);
    } else if (dependency && typeof dependency === "object" && "pip" in dependency) {
      const pip = (dependency as { pip: unknown }).pip;
      if (Array.isArray(pip)) packages.push(...pip.map(String));
    }
  }
  return { packages, skipped };
}

/**
 * One conda match spec as a pip requirement: the channel and build string dropped, the name mapped,
 * conda's fuzzy `name=1.2` (any 1.2.x) as `name==1.2.*`; null requirement when PyPI has no such package.
 */
export function condaRequirement(spec: string): { name: string; requirement: string | null } {
  const withoutChannel = spec.trim().replace(/^[\w.-]+::/, "");
  const match = /^([A-Za-z0-9_.-]+)\s*(.*)$/.exec(withoutChannel);
  const name = match?.[1] ?? withoutChannel;
  const mapped = pypiName(name);
  if (mapped === null) return { name, requirement: null };
  let version = (match?.[2] ?? "").replace(/\s+/g, "");
  // `=1.2=py39_0`: the build string goes; `=1.2` alone is conda's "1.2.*".
  const fuzzy = /^=([^=<>!]+?)(?:=.*)?$/.exec(version);
  if (fuzzy) version = `==${fuzzy[1]}${fuzzy[1]?.includes("*") ? "" : ".*"}`;
  else version = version.replace(/^(==[^=]+)=.*$/, "$1");
  return { name, requirement: `${mapped}${version}` };
}

/** Words of a shell-quoted list (`'numpy==1.19.2' pytest "pandas<2"`). */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  for (const match of text.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g))
    words.push(match[1] ?? match[2] ?? match[3] ?? "");
  return words.filter(Boolean);
}
