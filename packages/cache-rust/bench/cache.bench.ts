/**
 * RustCache against the official InMemoryCache, on the same work in one process.
 *
 *   pnpm --filter @fast-langgraph/cache-rust bench      (or `pnpm bench` at the root)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

import { AIMessage } from "@langchain/core/messages";
import { Annotation, START, StateGraph } from "@langchain/langgraph";
import { InMemoryCache, type BaseCache } from "@langchain/langgraph-checkpoint";

import { LRUCache } from "lru-cache";

// The build users run, not the source through tsx (which adds a naming helper call to each closure).
import { RustCache, argumentsKey, cached, canonicalKey } from "../dist/index.js";

type Kind = "InMemoryCache" | "RustCache" | "RustCache on a file";
const KINDS: Kind[] = ["InMemoryCache", "RustCache", "RustCache on a file"];

const dir = mkdtempSync(join(tmpdir(), "flg-cache-bench-"));
let files = 0;
const newFile = () => join(dir, `cache-${files++}.db`);

function newCache(kind: Kind): BaseCache {
  const limits = { maxEntries: 1e6, maxBytes: 2 ** 32 };
  if (kind === "RustCache") return new RustCache(limits);
  if (kind === "RustCache on a file") return new RustCache({ ...limits, path: newFile() });
  return new InMemoryCache();
}

/** A node's cached output of about `bytes` bytes of JSON. */
function valueOfSize(bytes: number) {
  const items = [];
  for (let size = 0, i = 0; size < bytes; i++) {
    const text = `item ${i} `.padEnd(200, "lorem ipsum dolor sit amet ");
    items.push({ id: `i-${i}`, text, score: i / 7 });
    size += text.length + 40;
  }
  return { items };
}

/** A node's output holding LangChain messages, of about `bytes` bytes of JSON. */
function messagesOfSize(bytes: number) {
  const messages = [];
  for (let size = 0, i = 0; size < bytes; i++) {
    const text = `answer ${i} `.padEnd(200, "lorem ipsum dolor sit amet ");
    messages.push(new AIMessage({ content: text, id: `a-${i}` }));
    size += text.length + 150;
  }
  return { messages };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function timed(iterations: number, body: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.max(3, iterations >> 3); i++) await body(i);
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) await body(i);
  return ((performance.now() - t0) * 1000) / iterations;
}

/** `get` of a present key and `set` of a new one, each cache in turn, 5 rounds after a warm-up round. */
async function measure(label: string, value: unknown, iterations: number) {
  const samples = { get: new Map<Kind, number[]>(), set: new Map<Kind, number[]>() };
  for (let round = 0; round <= 5; round++) {
    for (const kind of KINDS) {
      (globalThis as { gc?: () => void }).gc?.();
      const cache = newCache(kind);
      const ns = ["node", "slow"];
      const set = await timed(iterations, (i) => cache.set([{ key: [ns, `k${i}`], value }]));
      const get = await timed(iterations, async (i) => {
        if ((await cache.get([[ns, `k${i % iterations}`]])).length !== 1) throw new Error("miss");
      });
      if (cache instanceof RustCache) await cache.close();
      if (round === 0) continue;
      for (const [op, us] of [
        ["get", get],
        ["set", set],
      ] as const) {
        samples[op].set(kind, [...(samples[op].get(kind) ?? []), us]);
      }
    }
  }
  return (["get", "set"] as const).map((op) => {
    const [peer, ours, file] = KINDS.map((kind) => median(samples[op].get(kind)!));
    const cells = [peer, ours, file].map((us) => us.toFixed(1));
    const ratios = [ours, file].map((us) => `${(peer / us).toFixed(1)}x`);
    return `| ${op === "get" ? "get (hit)" : "set"} | ${label} | ${[...cells, ...ratios].join(" | ")} |`;
  });
}

/**
 * One invocation of a graph whose cached node takes a 1 MB state, when the node's result is in the
 * cache: LangGraph computes the key from the whole input, then reads the cache.
 */
async function nodeHit(rounds: number) {
  const State = Annotation.Root({ doc: Annotation<unknown>, out: Annotation<number> });
  const doc = valueOfSize(1 << 20);
  const variants = {
    "InMemoryCache, default key": { cache: new InMemoryCache(), keyFunc: undefined },
    "RustCache, default key": { cache: new RustCache(), keyFunc: undefined },
    "RustCache, canonicalKey": { cache: new RustCache(), keyFunc: canonicalKey },
    "RustCache on a file, canonicalKey": { cache: new RustCache({ path: newFile() }), keyFunc: canonicalKey },
  };
  const samples = new Map<string, number[]>();
  for (let round = 0; round <= rounds; round++) {
    for (const [name, { cache, keyFunc }] of Object.entries(variants)) {
      const graph = new StateGraph(State)
        .addNode("work", async () => ({ out: 1 }), { cachePolicy: { keyFunc } })
        .addEdge(START, "work")
        .compile({ cache });
      await graph.invoke({ doc }); // fills the cache
      const t0 = performance.now();
      await graph.invoke({ doc });
      const ms = performance.now() - t0;
      if (round > 0) samples.set(name, [...(samples.get(name) ?? []), ms]);
    }
  }
  await variants["RustCache on a file, canonicalKey"].cache.close();
  return [...samples].map(([name, ms]) => [name, median(ms)] as const);
}

/**
 * The hit path of `cached()` against a memoizer built on lru-cache with the same key function, for
 * a call shaped like an LLM call (a prompt and options).
 */
async function cachedHit(rounds: number, iterations: number) {
  const llm = async (prompt: string, options: { model: string; temperature: number }) => ({ prompt, options });
  const lru = new LRUCache<string, { value: unknown }>({ max: 1000 });
  const memoized = async (prompt: string, options: { model: string; temperature: number }) => {
    const key = argumentsKey([prompt, options]);
    const hit = lru.get(key);
    if (hit) return hit.value;
    const value = await llm(prompt, options);
    lru.set(key, { value });
    return value;
  };
  const variants = { "lru-cache memoizer": memoized, "cached()": cached(llm) };
  const prompt = "Summarize the following document in three sentences. ".repeat(10);
  const options = { model: "fake-model", temperature: 0 };
  const samples = new Map<string, number[]>();
  for (let round = 0; round <= rounds; round++) {
    for (const [name, fn] of Object.entries(variants)) {
      const us = await timed(iterations, () => fn(prompt, options));
      if (round > 0) samples.set(name, [...(samples.get(name) ?? []), us]);
    }
  }
  return [...samples].map(([name, us]) => [name, median(us)] as const);
}

async function main() {
  console.log(`node ${process.version}, ${new Date().toISOString()}\n`);
  const rows = [
    ...(await measure("1 KB", valueOfSize(1 << 10), 20000)),
    ...(await measure("100 KB", valueOfSize(100 << 10), 300)),
    ...(await measure("1 KB of messages", messagesOfSize(1 << 10), 5000)),
  ];
  console.log("## RustCache (µs per call, lower is better; median of 5 interleaved rounds after a warm-up round)\n");
  console.log(
    "| operation | value | InMemoryCache | RustCache | RustCache on a file | InMemoryCache / RustCache | InMemoryCache / file |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const row of rows) console.log(row);
  const hits = await nodeHit(7);
  const peer = hits[0][1];
  console.log("\n## Node cache hit on a 1 MB state (ms per invoke, median of 7 rounds after a warm-up round)\n");
  console.log("| cache, key | ms | InMemoryCache with the default key / this |");
  console.log("|---|---|---|");
  for (const [name, ms] of hits) console.log(`| ${name} | ${ms.toFixed(1)} | ${(peer / ms).toFixed(1)}x |`);
  const memo = await cachedHit(5, 50000);
  console.log("\n## cached() hit (µs per call, median of 5 rounds after a warm-up round; same key function)\n");
  console.log("| memoizer | µs | lru-cache memoizer / this |");
  console.log("|---|---|---|");
  for (const [name, us] of memo) console.log(`| ${name} | ${us.toFixed(2)} | ${(memo[0][1] / us).toFixed(1)}x |`);
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
