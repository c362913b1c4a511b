import { defineConfig } from "tsup";

/** The build every TypeScript package shares: ESM and CJS with declarations, for Node 20. */
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  // @fast-langgraph/serde is not published: each package that uses it carries its own copy, so that
  // installing one package brings only it and the native addon.
  noExternal: ["@fast-langgraph/serde"],
});
