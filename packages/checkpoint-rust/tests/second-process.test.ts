import { execFile } from "node:child_process";
import { Worker } from "node:worker_threads";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";

import { afterAll, afterEach, describe, expect, it } from "vitest";

import { RustSqliteSaver } from "../src/index.js";
import { buildTwoStepGraph } from "./fixtures/two-step-graph.js";

// Another OS process opens the same database file while this one holds it open (WAL mode):
// SQLite's file locking, not anything in-process, must make the writes visible.

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const savers = pathToFileURL(join(packageDir, "src/index.ts")).href;
// `node_modules/.bin/tsx` is a pnpm shell shim, so `node` loads tsx's ESM loader directly instead.
const requireHere = createRequire(join(packageDir, "package.json"));
const tsxLoader = pathToFileURL(requireHere.resolve("tsx")).href;
const tsxApi = requireHere.resolve("tsx/esm/api");

const dir = mkdtempSync(join(tmpdir(), "flg-second-process-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open: RustSqliteSaver[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

// The same graph in both processes: the child imports the fixture by its file URL.
const graphFixture = pathToFileURL(join(packageDir, "tests/fixtures/two-step-graph.ts")).href;

function writeScript(name: string, body: string): string {
  const path = join(dir, name);
  const imports = [
    `import { RustSqliteSaver } from ${JSON.stringify(savers)};`,
    `import { buildTwoStepGraph } from ${JSON.stringify(graphFixture)};`,
  ];
  writeFileSync(path, `${imports.join("\n")}\n${body}`);
  return path;
}

async function child(script: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ["--import", tsxLoader, script, ...args], {
    cwd: dir,
    timeout: 30_000,
  });
  return stdout;
}

describe("a second Node process on the same file", () => {
  it("reads what this process wrote while this process keeps the database open", async () => {
    const path = join(dir, "parent-writes.db");
    const saver = new RustSqliteSaver({ path });
    open.push(saver);
    const config = { configurable: { thread_id: "from-parent" } };
    const result = await buildTwoStepGraph(saver).invoke({ value: 4 }, config);
    expect(result).toEqual({ value: 50, trail: ["add", "times"] });
    // Still open: the last commits may live only in the WAL, which the child must read too.
    expect(existsSync(`${path}-wal`)).toBe(true);

    const script = writeScript(
      "read.mjs",
      `
const [path, threadId] = process.argv.slice(2);
const saver = new RustSqliteSaver({ path });
const tuple = await saver.getTuple({ configurable: { thread_id: threadId } });
await saver.close();
process.stdout.write(JSON.stringify(tuple ? tuple.checkpoint.channel_values : null));
`,
    );
    const seen = JSON.parse(await child(script, path, "from-parent"));

    expect(seen).toMatchObject({ value: 50, trail: ["add", "times"] });
    const mine = await saver.getTuple(config);
    expect(seen).toEqual(JSON.parse(JSON.stringify(mine?.checkpoint.channel_values)));
  });

  it("lets this process read what the child wrote, through a connection opened before the write", async () => {
    const path = join(dir, "child-writes.db");
    const saver = new RustSqliteSaver({ path });
    open.push(saver);
    await saver.setup();
    const graph = buildTwoStepGraph(saver);
    const config = { configurable: { thread_id: "from-child" } };
    expect((await graph.getState(config)).values).toEqual({});

    const script = writeScript(
      "write.mjs",
      `
const [path, threadId] = process.argv.slice(2);
const saver = new RustSqliteSaver({ path });
const result = await buildTwoStepGraph(saver).invoke({ value: 7 }, { configurable: { thread_id: threadId } });
await saver.close();
process.stdout.write(JSON.stringify(result));
`,
    );
    expect(JSON.parse(await child(script, path, "from-child"))).toEqual({ value: 80, trail: ["add", "times"] });

    const state = await graph.getState(config);
    expect(state.values).toEqual({ value: 80, trail: ["add", "times"] });
    expect(state.next).toEqual([]);
    const history = [];
    for await (const s of graph.getStateHistory(config)) history.push(s.values);
    expect(history).toEqual([
      { value: 80, trail: ["add", "times"] },
      { value: 8, trail: ["add"] },
      { value: 7, trail: [] },
      { trail: [] },
    ]);

    // And this process can carry the child's thread on.
    expect(await graph.invoke({ value: 1 }, config)).toEqual({ value: 20, trail: ["add", "times", "add", "times"] });
  });
});

describe("process and worker-thread lifetime", () => {
  it("stays alive until unawaited writes are stored, and exits on its own with the saver left open", async () => {
    const path = join(dir, "unawaited.db");
    const script = writeScript(
      "unawaited.mjs",
      `
const [path] = process.argv.slice(2);
const saver = new RustSqliteSaver({ path });
const checkpoint = { v: 4, id: "checkpoint-1", ts: new Date().toISOString(), channel_values: {}, channel_versions: {}, versions_seen: {} };
const config = { configurable: { thread_id: "t", checkpoint_ns: "" } };
// Nothing is awaited and nothing is closed: pending calls alone must keep the process alive.
saver.put(config, checkpoint, { source: "input", step: -1, parents: {} }, {});
const written = { configurable: { ...config.configurable, checkpoint_id: checkpoint.id } };
for (let i = 0; i < 100; i++) saver.putWrites(written, [["channel", i]], "task-" + i);
`,
    );
    await child(script, path);

    const saver = new RustSqliteSaver({ path });
    open.push(saver);
    const tuple = await saver.getTuple({ configurable: { thread_id: "t" } });
    expect(tuple?.pendingWrites).toHaveLength(100);
    expect(new Set(tuple?.pendingWrites?.map(([, , value]) => value))).toEqual(
      new Set(Array.from({ length: 100 }, (_, i) => i)),
    );
  });

  it("survives a worker thread terminated with writes in flight, and keeps what was committed", async () => {
    const path = join(dir, "terminated.db");
    // The worker writes without awaiting until it is terminated mid-flight.
    const worker = new Worker(
      `
const { parentPort, workerData } = require("node:worker_threads");
require(workerData.tsxApi).register();
import(workerData.savers).then(async ({ RustSqliteSaver }) => {
  const saver = new RustSqliteSaver({ path: workerData.path });
  const config = { configurable: { thread_id: "t", checkpoint_ns: "" } };
  const checkpoint = { v: 4, id: "c1", ts: "", channel_values: {}, channel_versions: {}, versions_seen: {} };
  await saver.put(config, checkpoint, { source: "input", step: -1, parents: {} }, {});
  const written = { configurable: { ...config.configurable, checkpoint_id: "c1" } };
  await saver.putWrites(written, [["channel", "first"]], "task-first");
  parentPort.postMessage("stored");
  for (let i = 0; ; i++) {
    saver.putWrites(written, [["channel", "x".repeat(1000)]], "task-" + i);
    if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
});
`,
      { eval: true, workerData: { path, savers, tsxApi } },
    );
    await new Promise((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await worker.terminate();

    const saver = new RustSqliteSaver({ path });
    open.push(saver);
    const tuple = await saver.getTuple({ configurable: { thread_id: "t" } });
    expect(tuple?.pendingWrites?.find(([task]) => task === "task-first")?.[2]).toBe("first");
    expect(tuple?.pendingWrites?.length).toBeGreaterThan(1);
  });
});
