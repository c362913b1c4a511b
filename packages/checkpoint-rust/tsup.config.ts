import { defineConfig, type Options } from "tsup";

import base from "../../tsup.config.base.js";

// The `bin` of package.json, built beside the library.
export default defineConfig({ ...(base as Options), entry: ["src/index.ts", "src/import-sqlite-cli.ts"] });
