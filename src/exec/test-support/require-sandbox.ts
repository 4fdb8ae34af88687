import { it } from "vitest";

/**
 * Set by `.ci/run`: there, a sandbox a suite needs (bubblewrap, Podman, a PID namespace) but cannot
 * have is a failure, not a skip, so CI cannot go green having tested none of it. Elsewhere (a
 * laptop without Podman) the suite is skipped and says what it needs.
 */
export const SANDBOXES_REQUIRED = process.env.SWEGATE_REQUIRE_SANDBOXES === "1";

/**
 * Declares the sandbox a test file needs: when `missing` names why it cannot be had, the file's
 * tests skip — except under SWEGATE_REQUIRE_SANDBOXES=1, where one test fails with that reason.
 * Returns true when the file's tests should skip.
 */
export function requireSandbox(what: string, missing: string | undefined): boolean {
  if (!missing) return false;
  if (SANDBOXES_REQUIRED)
    it(`${what} is required here (SWEGATE_REQUIRE_SANDBOXES=1)`, () => {
      throw new Error(`${what} cannot run: ${missing}`);
    });
  else it.skip(`${what} tests skipped: ${missing}`, () => {});
  return true;
}
