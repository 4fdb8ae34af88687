import { describe, expect, it } from "vitest";
import { CONDA_TO_PYPI } from "./conda-to-pypi.js";
import {
  condaEnvironmentRequirements,
  condaRequirement,
  MissingRequirementsError,
  specRequirements,
  splitShellWords,
} from "./spec-requirements.js";

const files = (entries: Record<string, string>) => async (path: string) => entries[path];

describe("specRequirements reads the package list as the harness does", () => {
  it("takes flask's requirements file with one level of -r, dropping -e ., comments and .[test lines", async () => {
    const read = files({
      "requirements/dev.txt": "-r tests.txt\n# a comment\n-e .\npre-commit==3.0\n",
      "requirements/tests.txt": "pytest==7.2.0\n.[test]\n-e .\n",
    });
    const found = await specRequirements(
      "pallets/flask",
      { packages: "requirements.txt", pip_packages: ["click==8.1.3"] },
      read,
    );
    expect(found).toEqual({
      packages: ["pytest==7.2.0", "pre-commit==3.0"],
      pipPackages: ["click==8.1.3"],
      source: "requirements.txt at requirements/dev.txt",
      skipped: [],
    });
  });

  it("tries the repository's paths in order (sympy: requirements-dev.txt, then requirements-test.txt)", async () => {
    const found = await specRequirements(
      "sympy/sympy",
      { packages: "requirements.txt", pip_packages: [] },
      files({ "requirements-test.txt": "mpmath\n" }),
    );
    expect(found.packages).toEqual(["mpmath"]);
    expect(found.source).toBe("requirements.txt at requirements-test.txt");
  });

  it("fails with the paths it tried when the repository has no requirements file", async () => {
    await expect(
      specRequirements("django/django", { packages: "requirements.txt", pip_packages: [] }, files({})),
    ).rejects.toThrow(
      new MissingRequirementsError(
        "no requirements file (tests/requirements/py3.txt) at the environment setup commit",
      ),
    );
  });

  it("maps an explicit conda list (scikit-learn's) to pip requirements, quotes removed", async () => {
    const found = await specRequirements(
      "scikit-learn/scikit-learn",
      { packages: "'numpy==1.19.2' 'scipy==1.5.2' pytest 'pandas<2.0.0' python pip", pip_packages: [] },
      files({}),
    );
    expect(found.packages).toEqual(["numpy==1.19.2", "scipy==1.5.2", "pytest", "pandas<2.0.0"]);
    expect(found.skipped).toEqual(["python", "pip"]);
  });

  it("has nothing to install when the spec names no packages (pytest's own repository)", async () => {
    expect(
      (await specRequirements("pytest-dev/pytest", { pip_packages: ["pluggy==1.3.0"] }, files({}))).packages,
    ).toEqual([]);
  });
});

describe("conda names and match specs as pip requirements", () => {
  it("converts xarray-style environment.yml dependencies, keeping its pip: entries", () => {
    const text = [
      "name: xarray-tests",
      "channels: [conda-forge]",
      "dependencies:",
      "  - python=3.10",
      "  - dask-core",
      "  - matplotlib-base>=3.5",
      "  - netcdf4=1.6",
      "  - conda-forge::numpy=1.23=py310h0",
      "  - hdf5",
      "  - pip",
      "  - pip:",
      "      - pytest-env==0.8",
    ].join("\n");
    expect(condaEnvironmentRequirements(text)).toEqual({
      packages: ["dask", "matplotlib>=3.5", "netCDF4==1.6.*", "numpy==1.23.*", "pytest-env==0.8"],
      skipped: ["python", "hdf5", "pip"],
    });
  });

  it("leaves out matplotlib 3.6's C libraries (gtk4) and keeps its renamed Python packages", () => {
    const text = ["dependencies:", "  - pygobject", "  - pyqt", "  - gtk4", "  - ipykernel"].join("\n");
    expect(condaEnvironmentRequirements(text)).toEqual({
      packages: ["PyGObject", "PyQt5", "ipykernel"],
      skipped: ["gtk4"],
    });
  });

  it("keeps exact pins exact and drops build strings", () => {
    expect(condaRequirement("numpy==1.19.2=py39h_0")).toEqual({
      name: "numpy",
      requirement: "numpy==1.19.2",
    });
    expect(condaRequirement("scipy=1.5.*").requirement).toBe("scipy==1.5.*");
    expect(condaRequirement("ffmpeg").requirement).toBeNull();
  });

  it("splits shell-quoted lists", () => {
    expect(splitShellWords(`'a==1' "b<2" c`)).toEqual(["a==1", "b<2", "c"]);
  });

  it("keeps the map's keys lower-case (lookups are case-insensitive)", () => {
    expect(Object.keys(CONDA_TO_PYPI).filter((key) => key !== key.toLowerCase())).toEqual([]);
  });
});
