import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { MemorySaver, MessagesAnnotation, START, StateGraph, entrypoint, task } from "@langchain/langgraph";
import { InMemoryCache } from "@langchain/langgraph-checkpoint";
import { afterAll, afterEach, describe, expect, it } from "vitest";

import { FastLangGraphError, RustCache, type RustCacheOptions } from "../src/index.js";
import { countingGraph } from "./fixtures/counting-graph.js";

const dir = mkdtempSync(join(tmpdir(), "flg-cache-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open: RustCache[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

let files = 0;
// Every behaviour holds in memory and in a SQLite file alike.
describe.each([
  ["in memory", () => ({})],
  ["in a SQLite file", () => ({ path: join(dir, `cache-${files++}.db`) })],
])("RustCache %s", (_where, storage: () => RustCacheOptions) => {
  const newCache = (options: RustCacheOptions = {}) => {
    const cache = new RustCache({ ...storage(), ...options });
    open.push(cache);
    return cache;
  };

  describe("in a graph", () => {
    it("serves a node's result from the cache on the next run with the same input", async () => {
      const cache = newCache();
      const { graph, runs } = countingGraph(cache);
      expect(await graph.invoke({ n: 1 })).toEqual({ n: 1, out: "result 1" });
      expect(await graph.invoke({ n: 1 })).toEqual({ n: 1, out: "result 1" });
      expect(await graph.invoke({ n: 2 })).toEqual({ n: 2, out: "result 2" });
      expect(runs.count).toBe(2);
      expect(cache.stats()).toMatchObject({ hits: 1, misses: 2, entries: 2, failures: 0 });
      expect(cache.stats().hitRate).toBeCloseTo(1 / 3);
    });

    it("behaves as InMemoryCache does, run for run", async () => {
      const inputs = [1, 2, 1, 3, 2, 1];
      const outcomes = async (cache: RustCache | InMemoryCache) => {
        const { graph, runs } = countingGraph(cache);
        const seen = [];
        for (const n of inputs) seen.push({ state: await graph.invoke({ n }), runs: runs.count });
        return seen;
      };
      expect(await outcomes(newCache())).toEqual(await outcomes(new InMemoryCache()));
    });

    it("expires entries after their ttl", async () => {
      const cache = newCache();
      const { graph, runs } = countingGraph(cache, { ttl: 0.05 });
      await graph.invoke({ n: 1 });
      await graph.invoke({ n: 1 });
      expect(runs.count).toBe(1);
      await sleep(80);
      await graph.invoke({ n: 1 });
      expect(runs.count).toBe(2);
      expect(cache.stats().expirations).toBe(1);
    });

    it("serves a node cached in one thread to another thread of a checkpointed graph", async () => {
      const cache = newCache();
      let runs = 0;
      const graph = new StateGraph(MessagesAnnotation)
        .addNode(
          "lookup",
          async (s) => {
            runs++;
            return { messages: [new AIMessage({ content: `sources for ${String(s.messages.at(-1)?.content)}` })] };
          },
          // Keyed by the question alone, so that threads with different histories share the entry.
          {
            cachePolicy: { keyFunc: ([s]) => String((s as typeof MessagesAnnotation.State).messages.at(-1)?.content) },
          },
        )
        .addEdge(START, "lookup")
        .compile({ checkpointer: new MemorySaver(), cache });
      const ask = (thread: string, question: string) =>
        graph.invoke({ messages: [new HumanMessage(question)] }, { configurable: { thread_id: thread } });
      await ask("a", "What is WAL?");
      await ask("b", "Hello");
      const b = await ask("b", "What is WAL?");
      expect(runs).toBe(2);
      expect(b.messages.map((m) => m.content)).toEqual([
        "Hello",
        "sources for Hello",
        "What is WAL?",
        "sources for What is WAL?",
      ]);
    });

    it("is emptied by graph.clearCache()", async () => {
      const cache = newCache();
      const { graph, runs } = countingGraph(cache);
      await graph.invoke({ n: 1 });
      await graph.clearCache();
      expect(cache.stats().entries).toBe(0);
      await graph.invoke({ n: 1 });
      expect(runs.count).toBe(2);
    });

    it("caches messages and gives back instances of their classes", async () => {
      const cache = newCache();
      let runs = 0;
      const graph = new StateGraph(MessagesAnnotation)
        .addNode(
          "agent",
          async () => {
            runs++;
            return { messages: [new AIMessage({ content: "hello", id: "a-1" })] };
          },
          { cachePolicy: {} },
        )
        .addEdge(START, "agent")
        .compile({ cache });
      const first = await graph.invoke({ messages: [new HumanMessage({ content: "hi", id: "h-1" })] });
      const second = await graph.invoke({ messages: [new HumanMessage({ content: "hi", id: "h-1" })] });
      expect(runs).toBe(1);
      expect(second.messages[1]).toBeInstanceOf(AIMessage);
      expect(second.messages.map((m) => m.content)).toEqual(first.messages.map((m) => m.content));
    });

    it("caches tasks of the functional API as InMemoryCache does", async () => {
      const runsWith = async (cache: RustCache | InMemoryCache) => {
        let runs = 0;
        const double = task({ name: "double", cachePolicy: {} }, async (x: number) => {
          runs++;
          return x * 2;
        });
        const workflow = entrypoint({ name: "workflow", cache }, async (x: number) => (await double(x)) + 1);
        const results = [await workflow.invoke(3), await workflow.invoke(3), await workflow.invoke(4)];
        return { results, runs };
      };
      const ours = await runsWith(newCache());
      expect(ours).toEqual({ results: [7, 7, 9], runs: 2 });
      expect(ours).toEqual(await runsWith(new InMemoryCache()));
    });
  });

  describe("bounds and errors", () => {
    const key = (i: number): [string[], string] => [["ns"], `k${i}`];

    it("stays within maxBytes, evicting the least recently used entries", async () => {
      const maxBytes = 64 * 1024;
      const cache = newCache({ maxBytes });
      const value = "x".repeat(1000);
      for (let i = 0; i < 500; i++) {
        await cache.set([{ key: key(i), value }]);
        expect(cache.stats().bytes).toBeLessThanOrEqual(maxBytes);
      }
      const { entries, evictions } = cache.stats();
      expect(entries).toBeGreaterThan(40);
      expect(evictions).toBe(500 - entries);
      // The newest are kept, the oldest went first.
      expect(await cache.get([key(499), key(0)])).toEqual([{ key: key(499), value }]);
    });

    it("keeps at most maxEntries, and a recent read protects an entry", async () => {
      const cache = newCache({ maxEntries: 2 });
      await cache.set([
        { key: key(1), value: 1 },
        { key: key(2), value: 2 },
      ]);
      await cache.get([key(1)]);
      await cache.set([{ key: key(3), value: 3 }]);
      expect((await cache.get([key(1), key(2), key(3)])).map((h) => h.value)).toEqual([1, 3]);
    });

    it("clears one namespace exactly, leaving longer and shorter ones", async () => {
      const cache = newCache();
      const keys: [string[], string][] = [
        [["a"], "1"],
        [["a", "b"], "1"],
        [[], "1"],
        [["a,b"], "1"],
      ];
      await cache.set(keys.map((k) => ({ key: k, value: k[0].join("/") })));
      await cache.clear([["a"]]);
      expect((await cache.get(keys)).map((h) => h.key)).toEqual(keys.slice(1));
      await cache.clear([]);
      expect(await cache.get(keys)).toEqual([]);
    });

    it("gives back copies: changing a cached or returned value changes nothing stored", async () => {
      const cache = newCache();
      const value = { list: [1, 2] };
      await cache.set([{ key: key(1), value }]);
      value.list.push(3);
      const [hit] = await cache.get([key(1)]);
      (hit.value as { list: number[] }).list.push(4);
      expect((await cache.get([key(1)]))[0].value).toEqual({ list: [1, 2] });
    });

    it("reads back what InMemoryCache reads back, plain data or not", async () => {
      const values: unknown[] = [
        { a: 1, b: [1, 2, { c: "x" }], d: null },
        { skipped: undefined, kept: 1 },
        new Date(0),
        new Set([1, 2]),
        new Map([["k", { v: 1 }]]),
        [new HumanMessage({ content: "hi", id: "h-1" }), new AIMessage({ content: "yo", id: "a-1" })],
        "text",
        42,
        null,
      ];
      const roundTrip = async (cache: RustCache | InMemoryCache) => {
        await cache.set(values.map((value, i) => ({ key: key(i), value })));
        return (await cache.get(values.map((_, i) => key(i)))).map((hit) => hit.value);
      };
      const ours = await roundTrip(newCache());
      expect(ours).toStrictEqual(await roundTrip(new InMemoryCache()));
      expect(ours[5]).toEqual([expect.any(HumanMessage), expect.any(AIMessage)]);
    });

    it("refuses limits that are not whole numbers of at least 1 with FLG_INVALID_ARGUMENT", () => {
      for (const options of [{ maxEntries: 0 }, { maxBytes: -1 }, { maxEntries: 1.5 }, { maxBytes: Number.NaN }]) {
        let error: unknown;
        try {
          newCache(options);
        } catch (err) {
          error = err;
        }
        expect(error, JSON.stringify(options)).toBeInstanceOf(FastLangGraphError);
        expect((error as FastLangGraphError).code).toBe("FLG_INVALID_ARGUMENT");
      }
    });

    it("never rejects a set: a negative ttl or an unserializable value is counted as a failure", async () => {
      const cache = newCache();
      const failing = { dumpsTyped: async () => Promise.reject(new Error("no")), loadsTyped: async () => null };
      await expect(cache.set([{ key: key(1), value: 1, ttl: -1 }])).resolves.toBeUndefined();
      await expect(newCache({ serde: failing }).set([{ key: key(1), value: 1 }])).resolves.toBeUndefined();
      expect(cache.stats().failures).toBe(1);
      expect(cache.stats().entries).toBe(0);
    });
  });
});
