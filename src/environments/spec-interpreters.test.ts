import { describe, expect, it } from "vitest";
import { nearestInterpreter } from "./spec-interpreters.js";

const at = (version: string) => ({ path: `/opt/python${version}/bin/python3`, version });

describe("the interpreter a spec environment is built from", () => {
  it("is the spec's own Python, else the older of two equally near, never two minor versions away", () => {
    const interpreters = [at("3.9"), at("3.11"), at("3.12")];
    expect(nearestInterpreter("3.11", interpreters)?.version).toBe("3.11");
    // xarray 0.12 wants 3.10: its pins (numpy 1.23.0) have wheels for 3.9 and none for 3.11.
    expect(nearestInterpreter("3.10", interpreters)?.version).toBe("3.9");
    expect(nearestInterpreter("3.10", [...interpreters].reverse())?.version).toBe("3.9");
    expect(nearestInterpreter("3.7", interpreters)).toBeUndefined();
  });
});
