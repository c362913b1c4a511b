/**
 * `pnpm demo [--compare]`: the research assistant on fast-langgraph's pieces, profiled; with
 * `--compare`, again on the official pieces, side by side. Files go to apps/demo/.data, or to
 * FLG_DEMO_DATA_DIR.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { runDemo } from "./demo.js";

const dataDir = process.env.FLG_DEMO_DATA_DIR ?? join(dirname(fileURLToPath(import.meta.url)), "..", ".data");

runDemo({ dataDir, compare: process.argv.includes("--compare") }).catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
