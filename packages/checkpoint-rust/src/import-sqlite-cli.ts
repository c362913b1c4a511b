#!/usr/bin/env node
import { importSqliteSaver } from "./import-sqlite-saver.js";
import { RustSqliteSaver } from "./saver.js";

const USAGE = "usage: fast-langgraph-import-sqlite <from.db> <to.db>";

async function main([from, to, ...rest]: string[]): Promise<number> {
  if (!from || !to || rest.length > 0) {
    console.error(USAGE);
    return 2;
  }
  const saver = new RustSqliteSaver({ path: to });
  try {
    // A target that cannot be opened fails here, even when there is nothing to import.
    await saver.setup();
    const { threads, checkpoints, writes } = await importSqliteSaver(from, saver);
    console.log(`imported ${threads} threads, ${checkpoints} checkpoints and ${writes} writes from ${from} into ${to}`);
    return 0;
  } finally {
    await saver.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const { code = "ERROR", message = String(err) } = err as { code?: string; message?: string };
    console.error(`fast-langgraph-import-sqlite: ${code}: ${message}`);
    process.exitCode = 1;
  },
);
