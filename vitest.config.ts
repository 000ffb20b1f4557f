import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Real processes and proxies: generous per-test limits, never timing assertions.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: "forks",
    // One file at a time: real servers share 2 cores with the harness, and a correct
    // submission must never fail because another test file starved it.
    fileParallelism: false,
  },
});
