import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { AIMessage } from "@langchain/core/messages";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { afterAll, afterEach, describe, expect, it } from "vitest";

import { FastLangGraphError, RustCache, cached, type CachedFunction } from "../src/index.js";
import { countingGraph } from "./fixtures/counting-graph.js";

const dir = mkdtempSync(join(tmpdir(), "flg-cached-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

function track<T extends { close(): Promise<void> }>(closable: T): T {
  open.push(closable);
  return closable;
}

let files = 0;
const newPath = () => join(dir, `cached-${files++}.db`);

describe.each([
  ["a shared RustCache in memory", () => ({ cache: track(new RustCache()) })],
  ["a shared RustCache on a file", () => ({ cache: track(new RustCache({ path: newPath() })) })],
  ["a file of its own", () => ({ path: newPath() })],
])("cached() keeping results in %s", (_where, storage: () => { cache?: RustCache; path?: string }) => {
  function counted<A extends unknown[], R>(fn: (...args: A) => R, ttl?: number) {
    const calls = { count: 0 };
    const f: CachedFunction<A, Awaited<R>> = track(
      cached(
        (...args: A) => {
          calls.count++;
          return fn(...args);
        },
        { ...storage(), namespace: "test", ttl },
      ),
    );
    return { f, calls };
  }

  it("returns a copy of the stored result for equal arguments, and caches null and undefined", async () => {
    const { f, calls } = counted((x: { a: number; b?: number } | string) =>
      typeof x === "string" ? null : { got: x },
    );
    const first = await f({ a: 1, b: 2 });
    const again = await f({ b: 2, a: 1 });
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
    expect(await f("null")).toBeNull();
    expect(await f("null")).toBeNull();
    const g = counted(() => undefined);
    await g.f();
    expect(await g.f()).toBeUndefined();
    expect([calls.count, g.calls.count]).toEqual([2, 1]);
  });

  it("shares one in-flight call among 100 concurrent identical calls, and never caches a rejection", async () => {
    let fail = true;
    const { f, calls } = counted(async (x: number) => {
      await sleep(20);
      if (fail) throw new Error("flaky");
      return x * 2;
    });
    const failed = await Promise.allSettled(Array.from({ length: 100 }, () => f(21)));
    expect(failed.every((r) => r.status === "rejected")).toBe(true);
    fail = false;
    const results = await Promise.all(Array.from({ length: 100 }, () => f(21)));
    expect(new Set(results)).toEqual(new Set([42]));
    expect(calls.count).toBe(2);
    expect(await f.has(21)).toBe(true);
  });

  it("expires results after ttl seconds", async () => {
    const { f, calls } = counted((x: number) => x, 0.05);
    await f(1);
    await f(1);
    await sleep(80);
    await f(1);
    expect(calls.count).toBe(2);
  });

  it("invalidates and clears only its own results", async () => {
    const options = storage();
    const a = track(cached((x: number) => `a${x}`, { ...options, namespace: "a" }));
    const b = track(
      cached((x: number) => `b${x}`, { ...(options.cache ? options : { path: options.path }), namespace: "b" }),
    );
    await Promise.all([a(1), a(2), b(1)]);
    await a.invalidate(1);
    expect(await Promise.all([a.has(1), a.has(2), b.has(1)])).toEqual([false, true, true]);
    await a.clear();
    expect(await Promise.all([a.has(2), b.has(1)])).toEqual([false, true]);
    expect(await b(1)).toBe("b1");
  });

  it("caches a chat model's answers as messages", async () => {
    const model = new FakeListChatModel({ responses: ["first answer", "second answer"] });
    const { f: ask } = counted((prompt: string) => model.invoke(prompt));
    const a = await ask("What is LangGraph?");
    const b = await ask("What is LangGraph?");
    const c = await ask("Something else?");
    expect(b).toBeInstanceOf(AIMessage);
    expect([a.content, b.content, c.content]).toEqual(["first answer", "first answer", "second answer"]);
  });
});

describe("cached() with a path", () => {
  it("keeps results for the next function opened on the file, as after a restart", async () => {
    const path = newPath();
    let calls = 0;
    const make = () => cached(async (x: number) => ({ x, call: ++calls }), { path, namespace: "f" });
    const first = make();
    expect(await first(1)).toEqual({ x: 1, call: 1 });
    await first.close();
    const second = track(make());
    expect(await second(1)).toEqual({ x: 1, call: 1 });
    expect(calls).toBe(1);
  });

  it("shares one RustCache with a graph, each clearing only its own entries", async () => {
    const cache = track(new RustCache({ path: newPath() }));
    const { graph, runs } = countingGraph(cache);
    const f = cached((n: number) => `f ${n}`, { cache, namespace: "f" });
    await graph.invoke({ n: 1 });
    await f(1);
    await f.clear();
    await graph.invoke({ n: 1 });
    expect(runs.count).toBe(1);
    await f(1);
    // graph.clearCache() clears the whole cache, as it does an InMemoryCache.
    await graph.clearCache();
    expect(await f.has(1)).toBe(false);
    expect(cache.stats().entries).toBe(0);
  });

  it("refuses a missing namespace, limits beside a cache, and reports a file it cannot open", async () => {
    const cache = track(new RustCache());
    for (const options of [
      { path: newPath() },
      { cache },
      { cache, namespace: "" },
      { cache, namespace: "x", maxEntries: 5 },
    ]) {
      expect(() => cached(async () => 1, options), JSON.stringify(Object.keys(options))).toThrow(
        expect.objectContaining({ code: "FLG_INVALID_ARGUMENT" }),
      );
    }
    const broken = track(cached(async () => 1, { path: join(dir, "missing", "x.db"), namespace: "x" }));
    await expect(broken()).rejects.toBeInstanceOf(FastLangGraphError);
    await expect(broken()).rejects.toMatchObject({ code: "FLG_CANNOT_OPEN" });
  });
});
