import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll } from "vitest";
import { deltaChannelHistoryTests, validate } from "@langchain/langgraph-checkpoint-validation";

import { RustSqliteSaver } from "../src/index.js";

// The official conformance suite, run on a private in-memory database and on a file.
const dir = mkdtempSync(join(tmpdir(), "flg-validation-"));
let files = 0;

const initializers = [
  {
    checkpointerName: "RustSqliteSaver (memory)",
    createCheckpointer: async () => new RustSqliteSaver(),
    destroyCheckpointer: (saver: RustSqliteSaver) => saver.close(),
  },
  {
    checkpointerName: "RustSqliteSaver (file)",
    createCheckpointer: async () => {
      const saver = new RustSqliteSaver({ path: join(dir, `validation-${files++}.db`) });
      await saver.setup();
      return saver;
    },
    destroyCheckpointer: (saver: RustSqliteSaver) => saver.close(),
  },
];

afterAll(() => rmSync(dir, { recursive: true, force: true }));

for (const initializer of initializers) {
  validate(initializer);
  deltaChannelHistoryTests(initializer);
}
