/**
 * The bundled demo: two tiny Python repositories and five instances that walk every path of the
 * pipeline. Files are given as text; `scripts/build-demo-dataset.ts` turns them into the shipped
 * `data/demo/demo.jsonl` (patches made by git), and `buildDemoRepositories` into real git repositories.
 */

export interface DemoRepository {
  /** `owner/name`. */
  repo: string;
  /** Files of the base commit. */
  files: Record<string, string>;
}

export interface DemoInstance {
  instance_id: string;
  repo: string;
  problem_statement: string;
  /** Files the gold patch changes (full new contents). */
  gold: Record<string, string>;
  /** Files the test patch changes or adds (full new contents). */
  tests: Record<string, string>;
  FAIL_TO_PASS: string[];
  PASS_TO_PASS: string[];
  /** Scripted answers of the offline demo model, in order. */
  demo_answers: string[];
}

const OPS = `"""Arithmetic helpers."""


def add(a, b):
    return a + b


def subtract(a, b):
    return a - b


def divide(a, b):
    return a // b


def average(values):
    return sum(values) / (len(values) - 1)
`;

const OPS_TESTS = `from calculator.ops import add, subtract


def test_add():
    assert add(2, 3) == 5


def test_subtract():
    assert subtract(5, 3) == 2
`;

const SLUG = `from textutils.normalize import collapse_whitespace


def slugify(text):
    """Lower-case words joined by hyphens."""
    return collapse_whitespace(text.lower()).replace(" ", "-")
`;

const NORMALIZE = `def collapse_whitespace(text):
    """Turn runs of whitespace into single spaces."""
    return text.strip().replace("  ", " ")
`;

const TEXT_TESTS = `from textutils.slug import slugify


def test_simple_slug():
    assert slugify("Hello World") == "hello-world"
`;

export const DEMO_REPOSITORIES: DemoRepository[] = [
  {
    repo: "swegate-demo/calculator",
    files: {
      "calculator/__init__.py": "",
      "calculator/ops.py": OPS,
      "tests/__init__.py": "",
      "tests/test_ops.py": OPS_TESTS,
      "README.md": "# calculator\nA tiny repository for swegate's demo.\n",
    },
  },
  {
    repo: "swegate-demo/textutils",
    files: {
      "textutils/__init__.py": "",
      "textutils/slug.py": SLUG,
      "textutils/normalize.py": NORMALIZE,
      "tests/__init__.py": "",
      "tests/test_slug.py": TEXT_TESTS,
      "README.md": "# textutils\nA tiny repository for swegate's demo.\n",
    },
  },
];

const block = (path: string, search: string, replace: string) =>
  `${path}\n\`\`\`python\n<<<<<<< SEARCH\n${search}=======\n${replace}>>>>>>> REPLACE\n\`\`\`\n`;

export const DEMO_INSTANCES: DemoInstance[] = [
  {
    instance_id: "swegate-demo__calculator-1",
    repo: "swegate-demo/calculator",
    problem_statement:
      "divide() truncates: `divide(7, 2)` returns 3 but should return 3.5.\n\nIt looks like calculator/ops.py uses floor division.\n",
    gold: { "calculator/ops.py": OPS.replace("return a // b", "return a / b") },
    tests: {
      "tests/test_ops.py": `${OPS_TESTS}\n\ndef test_divide_fraction():\n    from calculator.ops import divide\n    assert divide(7, 2) == 3.5\n`,
    },
    FAIL_TO_PASS: ["tests/test_ops.py::test_divide_fraction"],
    PASS_TO_PASS: ["tests/test_ops.py::test_add", "tests/test_ops.py::test_subtract"],
    demo_answers: [
      `divide() uses floor division; true division fixes it.\n\n${block("calculator/ops.py", "def divide(a, b):\n    return a // b\n", "def divide(a, b):\n    return a / b\n")}`,
    ],
  },
  {
    instance_id: "swegate-demo__calculator-2",
    repo: "swegate-demo/calculator",
    problem_statement:
      "average() is wrong: `average([1, 2, 3])` returns 3.0 instead of 2.0, and `average([])` raises ZeroDivisionError; it should return 0.0 for an empty list.\n",
    gold: {
      "calculator/ops.py": OPS.replace(
        "    return sum(values) / (len(values) - 1)\n",
        "    if not values:\n        return 0.0\n    return sum(values) / len(values)\n",
      ),
    },
    tests: {
      "tests/test_ops.py": `${OPS_TESTS}\n\ndef test_average():\n    from calculator.ops import average\n    assert average([1, 2, 3]) == 2.0\n\n\ndef test_average_empty():\n    from calculator.ops import average\n    assert average([]) == 0.0\n`,
    },
    FAIL_TO_PASS: ["tests/test_ops.py::test_average", "tests/test_ops.py::test_average_empty"],
    PASS_TO_PASS: ["tests/test_ops.py::test_add", "tests/test_ops.py::test_subtract"],
    demo_answers: [
      // Plausible but incomplete: fixes the denominator, forgets the empty list.
      `The denominator is off by one.\n\n${block("calculator/ops.py", "    return sum(values) / (len(values) - 1)\n", "    return sum(values) / len(values)\n")}`,
      `Also handle the empty list.\n\n${block("calculator/ops.py", "    return sum(values) / (len(values) - 1)\n", "    if not values:\n        return 0.0\n    return sum(values) / len(values)\n")}`,
    ],
  },
  {
    instance_id: "swegate-demo__already-1",
    repo: "swegate-demo/calculator",
    problem_statement: "subtract() should work with floats, e.g. `subtract(0.5, 0.25) == 0.25`.\n",
    gold: {
      "calculator/ops.py": OPS.replace(
        "def subtract(a, b):\n",
        'def subtract(a, b):\n    """Works for ints and floats."""\n',
      ),
    },
    tests: {
      "tests/test_ops.py": `${OPS_TESTS}\n\ndef test_subtract_floats():\n    from calculator.ops import subtract\n    assert subtract(0.5, 0.25) == 0.25\n`,
    },
    FAIL_TO_PASS: ["tests/test_ops.py::test_subtract_floats"],
    PASS_TO_PASS: ["tests/test_ops.py::test_add"],
    demo_answers: [
      `subtract already handles floats; documenting it.\n\n${block("calculator/ops.py", "def subtract(a, b):\n", 'def subtract(a, b):\n    """Works for ints and floats."""\n')}`,
    ],
  },
  {
    instance_id: "swegate-demo__textutils-1",
    repo: "swegate-demo/textutils",
    problem_statement:
      'slugify() keeps punctuation and repeated spaces: `slugify("Hello,   World!")` gives "hello,--world!" but should give "hello-world".\n',
    gold: {
      "textutils/normalize.py": NORMALIZE.replace(
        'return text.strip().replace("  ", " ")',
        'return " ".join(text.split())',
      ),
      "textutils/slug.py": SLUG.replace(
        "from textutils.normalize import collapse_whitespace\n",
        "import re\n\nfrom textutils.normalize import collapse_whitespace\n",
      ).replace(
        'return collapse_whitespace(text.lower()).replace(" ", "-")',
        'words = re.sub(r"[^\\w\\s]", "", text.lower())\n    return collapse_whitespace(words).replace(" ", "-")',
      ),
    },
    tests: {
      "tests/test_slug.py": `${TEXT_TESTS}\n\ndef test_punctuation_and_spaces():\n    assert slugify("Hello,   World!") == "hello-world"\n`,
    },
    FAIL_TO_PASS: ["tests/test_slug.py::test_punctuation_and_spaces"],
    PASS_TO_PASS: ["tests/test_slug.py::test_simple_slug"],
    demo_answers: [
      `Two causes: punctuation is kept, and only double spaces collapse.\n\n${block("textutils/normalize.py", '    return text.strip().replace("  ", " ")\n', '    return " ".join(text.split())\n')}\n${block("textutils/slug.py", "from textutils.normalize import collapse_whitespace\n", "import re\n\nfrom textutils.normalize import collapse_whitespace\n")}\n${block("textutils/slug.py", '    return collapse_whitespace(text.lower()).replace(" ", "-")\n', '    words = re.sub(r"[^\\w\\s]", "", text.lower())\n    return collapse_whitespace(words).replace(" ", "-")\n')}`,
    ],
  },
  {
    instance_id: "swegate-demo__broken-1",
    repo: "swegate-demo/textutils",
    problem_statement: "Add a `title_case()` helper to textutils/slug.py.\n",
    gold: {
      "textutils/slug.py": `${SLUG}\n\ndef title_case(text):\n    return collapse_whitespace(text).title()\n`,
    },
    tests: {
      // The environment is broken on purpose: the test needs a third-party module nobody installed.
      "tests/test_title.py":
        'import yaml_frobnicator  # noqa: F401\n\nfrom textutils.slug import title_case\n\n\ndef test_title_case():\n    assert title_case("a  b") == "A B"\n',
    },
    FAIL_TO_PASS: ["tests/test_title.py::test_title_case"],
    PASS_TO_PASS: ["tests/test_slug.py::test_simple_slug"],
    demo_answers: [
      block(
        "textutils/slug.py",
        '    return collapse_whitespace(text.lower()).replace(" ", "-")\n',
        '    return collapse_whitespace(text.lower()).replace(" ", "-")\n\n\ndef title_case(text):\n    return collapse_whitespace(text).title()\n',
      ),
    ],
  },
];

/** Fixed identity and dates, so the demo repositories' commit hashes are the same everywhere. */
export const DEMO_GIT_ENV = {
  GIT_AUTHOR_NAME: "swegate demo",
  GIT_AUTHOR_EMAIL: "demo@swegate.invalid",
  GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z",
  GIT_COMMITTER_NAME: "swegate demo",
  GIT_COMMITTER_EMAIL: "demo@swegate.invalid",
  GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z",
};
