import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The official conformance specs use global describe/it/expect.
    globals: true,
    include: ["tests/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
