import type { Instance } from "../instance.js";

/**
 * An instance for tests that build their own small repository: `instance_id`, `base_commit` and
 * whatever the test cares about; the rest empty, the repository named after the id
 * (`geo__geo-1` → `geo/geo`) and the setup commit the base.
 */
export function makeInstance(
  fields: Partial<Instance> & Pick<Instance, "instance_id" | "base_commit">,
): Instance {
  const id = fields.instance_id;
  return {
    repo: id.slice(0, id.lastIndexOf("-")).replace("__", "/"),
    patch: "",
    test_patch: "",
    problem_statement: "",
    hints_text: "",
    created_at: "",
    version: "0",
    FAIL_TO_PASS: [],
    PASS_TO_PASS: [],
    environment_setup_commit: fields.base_commit,
    extra: {},
    ...fields,
  };
}
