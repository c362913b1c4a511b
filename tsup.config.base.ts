import { defineConfig } from "tsup";

/** The build every TypeScript package shares: ESM and CJS with declarations, for Node 20. */
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
});
