import { join } from "node:path";
import { expect } from "vitest";
import type { Instance } from "../../dataset/instance.js";
import type { Backend } from "../../exec/backend.js";
import { runGreenGate } from "../../grading/green-gate.js";
import { runRedGate } from "../../grading/red-gate.js";
import { git } from "../../workspace/git.js";
import { commitFiles, makeGitRepo } from "../../workspace/test-support/make-git-repo.js";
import { newFileDiff } from "../../workspace/test-support/new-file-diff.js";
import { buildWheel, copyBundledWheels, copyWheelPackage, serveSimpleIndex } from "./local-package-index.js";

const SETUP = `from setuptools import Extension, setup
setup(name="calc", version="1.0", packages=["calc"], install_requires=["tinydep"],
      ext_modules=[Extension("calc._speedup", ["calc/_speedup.c"])])
`;
const SPEEDUP = `#include <Python.h>
static PyObject *add(PyObject *self, PyObject *args) {
  long a, b;
  if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
  return PyLong_FromLong(a + b);
}
static PyMethodDef methods[] = {{"add", add, METH_VARARGS, "a + b"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedup", NULL, -1, methods};
PyMODINIT_FUNC PyInit__speedup(void) { return PyModule_Create(&module); }
`;
// A runner printing pytest's -rA lines (the environment has no pytest: the index holds none).
const RUNNER = `import sys, traceback
sys.path.insert(0, "tests")
import test_calc
for name in sorted(n for n in dir(test_calc) if n.startswith("test_")):
    try:
        getattr(test_calc, name)()
        print("PASSED tests/test_calc.py::" + name)
    except Exception:
        traceback.print_exc()
        print("FAILED tests/test_calc.py::" + name)
`;
const TESTS = `import calc, tinydep
def test_double():
    assert calc.double(2) == 4
def test_triple():
    assert calc.triple(2) == 6
def test_dependency():
    assert tinydep.VALUE == 42
`;

/** A repository with a compiled part, its commits, and a local index of the wheels its spec installs. */
export interface CalcFixture {
  index: { url: string; server: { close: () => void } };
  repo: { dir: string; commit: string };
  /** The fix of `triple`, as a diff from the base commit. */
  goldPatch: string;
  /** A commit whose C file does not compile. */
  brokenCommit: string;
  /** A commit whose setup.py needs `otherdep`: on the index, in no spec environment. */
  newDependencyCommit: string;
  /** A commit whose setup.py needs `nosuchdep`: on no index. */
  missingDependencyCommit: string;
}

/**
 * Builds the `calc` repository (a C extension, one dependency `tinydep`) under `scratch` and a loopback index of
 * `tinydep`, `pinned`, `otherdep`, `buildhelper` and the seed wheels (pip, setuptools, wheel) built with `python`.
 */
export async function buildCalcFixture(python: string, scratch: string): Promise<CalcFixture> {
  const wheels = join(scratch, "wheels");
  buildWheel(python, wheels, {
    name: "tinydep",
    version: "1.0",
    files: {
      "tinydep/__init__.py": "VALUE = 42\n\ndef where():\n    import sys\n    print(sys.prefix)\n",
      // A command of the shared environment: it must run with the checkout's layer.
      "tinydep-1.0.dist-info/entry_points.txt": "[console_scripts]\ntinydep-where = tinydep:where\n",
    },
  });
  buildWheel(python, wheels, { name: "pinned", version: "2.0", files: { "pinned/__init__.py": "" } });
  buildWheel(python, wheels, { name: "otherdep", version: "1.0", files: { "otherdep/__init__.py": "" } });
  buildWheel(python, wheels, {
    name: "buildhelper",
    version: "1.0",
    files: { "buildhelper/__init__.py": "" },
  });
  // Environments are seeded with pip, setuptools and wheel (no Python bundles a wheel of `wheel`).
  copyWheelPackage(wheels);
  copyBundledWheels(python, wheels);
  const index = await serveSimpleIndex(wheels);
  const repo = makeGitRepo(
    {
      "setup.py": SETUP,
      ".gitignore": "*.so\nbuild/\n*.egg-info/\n",
      "calc/_speedup.c": SPEEDUP,
      "calc/__init__.py":
        "from calc._speedup import add\n\ndef double(x):\n    return add(x, x)\n\ndef triple(x):\n    return add(x, x)\n",
      "run_tests.py": RUNNER,
    },
    join(scratch, "calc-repo"),
  );
  const fixed = commitFiles(
    repo.dir,
    {
      "calc/__init__.py":
        "from calc._speedup import add\n\ndef double(x):\n    return add(x, x)\n\ndef triple(x):\n    return add(add(x, x), x)\n",
    },
    "fix",
  );
  const goldPatch = (await git(["diff", repo.commit, fixed], { cwd: repo.dir })).stdout;
  const brokenCommit = commitFiles(
    repo.dir,
    { "calc/_speedup.c": `${SPEEDUP}\nthis is not C;\n` },
    "broken build",
  );
  const newDependencyCommit = commitFiles(
    repo.dir,
    {
      "calc/_speedup.c": SPEEDUP,
      "setup.py": SETUP.replace('install_requires=["tinydep"]', 'install_requires=["tinydep", "otherdep"]'),
    },
    "a new dependency",
  );
  const missingDependencyCommit = commitFiles(
    repo.dir,
    {
      "setup.py": SETUP.replace('install_requires=["tinydep"]', 'install_requires=["tinydep", "nosuchdep"]'),
    },
    "a dependency no index has",
  );
  return { index, repo, goldPatch, brokenCommit, newDependencyCommit, missingDependencyCommit };
}

/** An instance of `calc` whose spec installs `tinydep` and `pinned==2.0` for Python `python`. */
export function calcInstance(
  fixture: CalcFixture,
  python: string,
  id: string,
  overrides: Partial<Instance> & { extra?: Record<string, unknown> } = {},
): Instance {
  return {
    instance_id: id,
    repo: "swegate-test/calc",
    base_commit: fixture.repo.commit,
    environment_setup_commit: fixture.repo.commit,
    patch: fixture.goldPatch,
    test_patch: newFileDiff("tests/test_calc.py", TESTS.trimEnd().split("\n")),
    problem_statement: "triple(2) is 4",
    hints_text: "",
    version: "1.0",
    FAIL_TO_PASS: ["tests/test_calc.py::test_triple"],
    PASS_TO_PASS: ["tests/test_calc.py::test_double", "tests/test_calc.py::test_dependency"],
    created_at: "",
    ...overrides,
    extra: {
      test_cmd: "python run_tests.py",
      python,
      packages: "tinydep",
      pip_packages: ["pinned==2.0"],
      install: "python -m pip install --no-build-isolation --no-use-pep517 -e .",
      ...overrides.extra,
    },
  } as Instance;
}

/** The red gate on a fresh checkout, then the gold patch's green gate when the red one reproduced. */
export async function redThenGold(instance: Instance, dir: string, backend: Backend) {
  const red = await runRedGate({ instance, dir, backend, timeoutSeconds: 300, clean: true });
  const green =
    red.verdict === "reproduced"
      ? await runGreenGate({ instance, dir, patch: instance.patch, backend, timeoutSeconds: 300 })
      : undefined;
  return { red, green };
}

/** The calc fixture's gates as they must come out at base: triple fails, the rest passes, gold resolves. */
export function expectCalcReproducedAndResolved(gates: Awaited<ReturnType<typeof redThenGold>>): void {
  expect(gates.red.message).toMatch(/^reproduced/);
  expect(gates.red.tests).toMatchObject({
    "tests/test_calc.py::test_triple": "FAILED",
    "tests/test_calc.py::test_double": "PASSED",
    "tests/test_calc.py::test_dependency": "PASSED",
  });
  expect(gates.green?.resolved).toBe(true);
}
