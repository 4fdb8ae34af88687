import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests spawn real git and Python processes; two cores are shared with them.
    pool: "forks",
    maxWorkers: 2,
  },
});
