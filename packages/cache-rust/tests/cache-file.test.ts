import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";

import { afterAll, afterEach, describe, expect, it } from "vitest";

import { FastLangGraphError, RustCache } from "../src/index.js";
import { countingGraph } from "./fixtures/counting-graph.js";

// Other OS processes open the same cache file: SQLite's file locking, not anything in-process,
// must make their entries visible and keep the file's totals right.

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const requireHere = createRequire(join(packageDir, "package.json"));
// `node_modules/.bin/tsx` is a pnpm shell shim, so `node` loads tsx's ESM loader directly instead.
const tsxLoader = pathToFileURL(requireHere.resolve("tsx")).href;

const dir = mkdtempSync(join(tmpdir(), "flg-cache-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open: RustCache[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

function openCache(path: string): RustCache {
  const cache = new RustCache({ path });
  open.push(cache);
  return cache;
}

// Runs the counting graph in a new Node process on the cache file `path`, once per input, and
// reports how often the node ran there.
const script = join(dir, "child.mts");
writeFileSync(
  script,
  `import { RustCache } from ${JSON.stringify(pathToFileURL(join(packageDir, "src/index.ts")).href)};
import { countingGraph } from ${JSON.stringify(pathToFileURL(join(packageDir, "tests/fixtures/counting-graph.ts")).href)};
const [path, ...inputs] = process.argv.slice(2);
const cache = new RustCache({ path });
const { graph, runs } = countingGraph(cache);
const outs = [];
for (const n of inputs) outs.push((await graph.invoke({ n: Number(n) })).out);
// A set is not awaited by LangGraph: wait for the writes this process made before it exits.
await cache.close();
console.log(JSON.stringify({ runs: runs.count, outs }));
`,
);

async function inChild(path: string, ...inputs: number[]): Promise<{ runs: number; outs: string[] }> {
  const { stdout } = await run(process.execPath, ["--import", tsxLoader, script, path, ...inputs.map(String)], {
    timeout: 30_000,
  });
  return JSON.parse(stdout);
}

describe("RustCache with a path", () => {
  it("keeps its entries across a restart of the process", async () => {
    const path = join(dir, "restart.db");
    expect(await inChild(path, 1, 2)).toEqual({ runs: 2, outs: ["result 1", "result 2"] });
    // A new process: every result comes from the file.
    expect(await inChild(path, 2, 1, 3)).toEqual({ runs: 1, outs: ["result 2", "result 1", "result 3"] });
  });

  it("is shared with another process while this one holds the file open", async () => {
    const path = join(dir, "shared.db");
    const cache = openCache(path);
    const { graph, runs } = countingGraph(cache);
    await graph.invoke({ n: 1 });
    // LangGraph does not await its set; a call made after it runs after it.
    await cache.get([]);
    expect(await inChild(path, 1, 2)).toEqual({ runs: 1, outs: ["result 1", "result 2"] });
    expect(await graph.invoke({ n: 2 })).toEqual({ n: 2, out: "result 2" });
    expect(runs.count).toBe(1);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, entries: 2 });
  });

  it("keeps every entry and the file's totals right when two processes write at once", async () => {
    const path = join(dir, "concurrent.db");
    const cache = openCache(path);
    const { graph, runs } = countingGraph(cache);
    const ours = Array.from({ length: 100 }, (_, i) => i);
    const theirs = ours.map((i) => 1000 + i);
    const [child] = await Promise.all([inChild(path, ...theirs), Promise.all(ours.map((n) => graph.invoke({ n })))]);
    expect(child.runs).toBe(100);
    // Every result the other process stored is a hit here.
    await Promise.all(theirs.map((n) => graph.invoke({ n })));
    expect(runs.count).toBe(100);
    expect(cache.stats().entries).toBe(200);
  });

  it("reports a file it cannot open with a clear code, on ready(), on get and in a graph", async () => {
    const cases: [string, string][] = [
      [join(dir, "missing-dir", "x.db"), "FLG_CANNOT_OPEN"],
      [dir, "FLG_CANNOT_OPEN"],
      [script, "FLG_NOT_A_DATABASE"],
    ];
    for (const [path, code] of cases) {
      const cache = openCache(path);
      await expect(cache.ready()).rejects.toMatchObject({ name: "FastLangGraphError", code });
      await expect(cache.get([[["ns"], "k"]])).rejects.toBeInstanceOf(FastLangGraphError);
      // A set never rejects: LangGraph does not await it.
      await expect(cache.set([{ key: [["ns"], "k"], value: 1 }])).resolves.toBeUndefined();
      expect(cache.stats().failures).toBe(1);
      const { graph, runs } = countingGraph(cache);
      await expect(graph.invoke({ n: 1 })).rejects.toMatchObject({ code });
      expect(runs.count).toBe(0);
    }
  });

  it("rejects calls after close with FLG_CLOSED", async () => {
    const cache = openCache(join(dir, "closed.db"));
    await cache.close();
    await expect(cache.get([[["ns"], "k"]])).rejects.toMatchObject({ code: "FLG_CLOSED" });
    await cache.close();
  });
});
