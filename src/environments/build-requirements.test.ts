import { describe, expect, it } from "vitest";
import {
  buildRequirements,
  buildSystemRequires,
  projectDependencies,
  runtimeRequirements,
  setupCfgRequires,
  setupPyRequires,
} from "./build-requirements.js";

describe("a repository's build requirements", () => {
  it("reads pyproject.toml's [build-system] requires, on one line or several, comments left out", () => {
    expect(
      buildSystemRequires(
        '[build-system]\nrequires = ["setuptools>=42", "wheel"]\n\n[tool.black]\nline = 1\n',
      ),
    ).toEqual(["setuptools>=42", "wheel"]);
    const astropy = `[project]
requires = ["not-this"]

[build-system]
requires = ["setuptools",
            "setuptools_scm>=6.2",  # the version from git
            'cython==0.29.30',
            "oldest-supported-numpy",
            "extension-helpers"]
build-backend = 'setuptools.build_meta'
`;
    expect(buildSystemRequires(astropy)).toEqual([
      "setuptools",
      "setuptools_scm>=6.2",
      "cython==0.29.30",
      "oldest-supported-numpy",
      "extension-helpers",
    ]);
    expect(buildSystemRequires('[tool.x]\nrequires = ["no"]\n')).toEqual([]);
  });

  it("reads setup.cfg's setup_requires under [options], on its line or indented below", () => {
    expect(setupCfgRequires("[options]\nzip_safe = False\nsetup_requires = setuptools_scm\n")).toEqual([
      "setuptools_scm",
    ]);
    expect(
      setupCfgRequires(
        "[metadata]\nname = x\n\n[options]\nsetup_requires =\n    setuptools_scm  # git\n    numpy\ninstall_requires = six\n",
      ),
    ).toEqual(["setuptools_scm", "numpy"]);
    expect(setupCfgRequires("[metadata]\nsetup_requires = no\n")).toEqual([]);
  });

  it("reads a literal setup_requires list in setup.py, and nothing else of it", () => {
    expect(setupPyRequires('setup(name="x", setup_requires=["cython>=0.28", \'numpy\'])\n')).toEqual([
      "cython>=0.28",
      "numpy",
    ]);
    expect(setupPyRequires("setup(setup_requires=SETUP_REQUIRES)\n")).toEqual([]);
  });

  it("joins the three files, each requirement once, a missing file adding nothing", async () => {
    const files: Record<string, string> = {
      "pyproject.toml": '[build-system]\nrequires = ["setuptools", "cython"]\n',
      "setup.py": 'setup(setup_requires=["cython", "numpy"])\n',
    };
    expect(await buildRequirements(async (path) => files[path])).toEqual(["setuptools", "cython", "numpy"]);
  });
});

describe("a repository's run-time requirements, as its files declare them", () => {
  it("reads setup.cfg's install_requires with their markers, [project] dependencies and a literal install_requires", async () => {
    // pylint 2.13's setup.cfg, shortened.
    const setupCfg = `[options]
packages = find:
install_requires =
    dill>=0.2
    astroid>=2.9.2,<=2.10.0-dev0
    typing-extensions>=3.10.0;python_version<"3.10"  # a marker, not a second requirement
setup_requires = setuptools; wheel
`;
    expect(setupCfgRequires(setupCfg, "install_requires")).toEqual([
      "dill>=0.2",
      "astroid>=2.9.2,<=2.10.0-dev0",
      'typing-extensions>=3.10.0;python_version<"3.10"',
    ]);
    expect(setupCfgRequires(setupCfg)).toEqual(["setuptools", "wheel"]);
    expect(
      projectDependencies('[project]\nname = "x"\ndependencies = [\n  "numpy>=1.20",\n  "packaging",\n]\n'),
    ).toEqual(["numpy>=1.20", "packaging"]);
    const files: Record<string, string> = {
      "setup.cfg": setupCfg,
      "setup.py": 'setup(name="calc", install_requires=["tinydep", "dill>=0.2"], setup_requires=["cython"])',
    };
    expect(await runtimeRequirements(async (path) => files[path])).toEqual([
      "dill>=0.2",
      "astroid>=2.9.2,<=2.10.0-dev0",
      'typing-extensions>=3.10.0;python_version<"3.10"',
      "tinydep",
    ]);
  });
});
