import { BUILD_FAILURE_MARKER } from "../environments/spec-environments.js";
import { ENVIRONMENT_UNAVAILABLE_MARKER } from "../environments/unavailable-backend.js";

/** Why a test environment cannot judge an instance (a fixed taxonomy). */
export type EnvBrokenReason =
  | "environment_unavailable"
  | "dependency_install_failed"
  | "build_failed"
  | "interpreter_unavailable"
  | "missing_dependency"
  | "dependency_version"
  | "import_error"
  | "collection_error"
  | "syntax_error"
  | "interpreter_incompatibility"
  | "no_tests_ran"
  | "runner_crashed"
  | "timeout"
  | "test_patch_failed";

export interface EnvironmentEvidence {
  reason: EnvBrokenReason;
  /** The log lines that show it (at most a few). */
  evidence: string[];
  /** For import errors: the module that could not be imported. */
  module?: string;
}

const BUILD_FAILURE_REASONS = [
  "interpreter_unavailable",
  "dependency_install_failed",
  "build_failed",
] as const;

const buildFailurePattern = (reason: string) => new RegExp(`^${BUILD_FAILURE_MARKER} \\(${reason}\\): `);

/**
 * A spec environment's build failure printed before the tests (the instance's install failed), with
 * its lines; undefined when the output has none.
 */
export function findBuildFailure(output: string): EnvironmentEvidence | undefined {
  const lines = output.split("\n");
  for (const reason of BUILD_FAILURE_REASONS) {
    const matching = lines.filter((line) => buildFailurePattern(reason).test(line));
    if (matching.length > 0)
      return { reason, evidence: [...new Set(matching.map((line) => line.trim()))].slice(0, 6) };
  }
  return undefined;
}

// Order matters: the most specific explanation wins.
const RULES: { reason: EnvBrokenReason; pattern: RegExp }[] = [
  // The line an unavailable environment's backend prints instead of running anything.
  { reason: "environment_unavailable", pattern: new RegExp(`^${ENVIRONMENT_UNAVAILABLE_MARKER} `) },
  // The lines a spec environment prints when it, or the instance's install into it, failed.
  ...BUILD_FAILURE_REASONS.map((reason) => ({ reason, pattern: buildFailurePattern(reason) })),
  {
    reason: "interpreter_incompatibility",
    pattern:
      /cannot import name '(?:Mapping|MutableMapping|Callable|Iterable|Sequence|MutableSet|Hashable)' from 'collections'|AttributeError: module 'collections' has no attribute|AttributeError: 'Constant' object has no attribute|TypeError: required field "lineno" missing|module 'inspect' has no attribute 'getargspec'|No module named 'imp'$|No module named 'distutils'/m,
  },
  { reason: "missing_dependency", pattern: /(?:ModuleNotFoundError|ImportError): No module named '([^']+)'/ },
  {
    reason: "import_error",
    pattern:
      /ImportError: cannot import name '([^']+)' from '([^']+)'|ImportError while importing test module/,
  },
  { reason: "syntax_error", pattern: /^\s*(?:E\s+)?SyntaxError: / },
  { reason: "runner_crashed", pattern: /^INTERNALERROR>|Segmentation fault|core dumped/m },
  {
    reason: "collection_error",
    pattern: /ERROR collecting |errors? during collection|Interrupted: \d+ errors? during collection/,
  },
  { reason: "no_tests_ran", pattern: /no tests ran|collected 0 items|Ran 0 tests/ },
];

/** Finds the first environment-failure signature in a log, with the lines that show it. */
export function classifyEnvironmentFailure(log: string): EnvironmentEvidence | undefined {
  const lines = log.split("\n");
  for (const rule of RULES) {
    const matching = lines.filter((line) => rule.pattern.test(line));
    if (matching.length === 0) continue;
    // The first line that names a module (an "ImportError while importing" headline names none).
    const first = matching.map((line) => rule.pattern.exec(line)).find((match) => match?.[1]) ?? null;
    return {
      reason: rule.reason,
      evidence: [...new Set(matching.map((line) => line.trim()))].slice(0, 5),
      module:
        rule.reason === "missing_dependency"
          ? first?.[1]
          : rule.reason === "import_error"
            ? first?.[2]
            : undefined,
    };
  }
  return undefined;
}

/** How sure a post-hoc infrastructure classification is (the harness's two tiers). */
export type InfrastructureTier = "environment" | "ambiguous";

// The official harness's post-hoc signatures (its `infra_failure` module, issue #586): the first
// match names why an unresolved or errored instance may be the environment's fault. `environment`
// cannot come from a patch; `ambiguous` can come from either. Advisory only: counts do not change.
const INFRASTRUCTURE_SIGNATURES: { reason: string; tier: InfrastructureTier; pattern: RegExp }[] = [
  {
    reason: "browser_launch_failed",
    tier: "environment",
    pattern: /Failed to launch|Failed to connect to the bus/m,
  },
  {
    reason: "display_unavailable",
    tier: "environment",
    pattern: /cannot open display|Missing X server|unable to open X display/m,
  },
  {
    reason: "out_of_memory",
    tier: "environment",
    pattern: /Cannot allocate memory|OutOfMemoryError|^Killed$/m,
  },
  {
    reason: "container_unavailable",
    tier: "environment",
    pattern: /Error response from daemon|Cannot connect to the Docker daemon/m,
  },
  {
    reason: "network_unreachable",
    tier: "environment",
    pattern: /Could not resolve host|Temporary failure in name resolution/m,
  },
  {
    reason: "missing_module",
    tier: "ambiguous",
    pattern: /Cannot find module|MODULE_NOT_FOUND|ModuleNotFoundError/m,
  },
  { reason: "no_tests_collected", tier: "ambiguous", pattern: /no tests ran|collected 0 items/m },
  { reason: "tests_timed_out", tier: "ambiguous", pattern: /Timeout error: \d+ seconds exceeded/m },
];

/** The harness's infrastructure classification of an instance's logs (concatenated), if any matches. */
export function classifyInfrastructureFailure(
  text: string,
): { reason: string; tier: InfrastructureTier } | undefined {
  if (!text) return undefined;
  const hit = INFRASTRUCTURE_SIGNATURES.find((signature) => signature.pattern.test(text));
  return hit && { reason: hit.reason, tier: hit.tier };
}
