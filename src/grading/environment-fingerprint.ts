import { createHash } from "node:crypto";
import type { Instance } from "../dataset/instance.js";
import type { EnvironmentDescription } from "../exec/backend.js";
import { specFor } from "../specs/spec-for.js";

/** Short hash of what decides a test run's outcome besides the code: backend, interpreter, image, spec. */
export function environmentFingerprint(
  environment: EnvironmentDescription,
  instance: Pick<Instance, "repo" | "version" | "extra">,
): string {
  const spec = specFor(instance);
  return createHash("sha256")
    .update(
      JSON.stringify([
        environment.backend,
        environment.pythonVersion,
        environment.imageDigest ?? "",
        instance.repo,
        instance.version,
        spec.test_cmd,
        spec.log_parser,
      ]),
    )
    .digest("hex")
    .slice(0, 16);
}
