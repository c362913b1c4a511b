import { setTimeout as sleep } from "node:timers/promises";

import { AIMessage } from "@langchain/core/messages";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { describe, expect, it } from "vitest";

import { FastLangGraphError, cached } from "../src/index.js";

/** A function that counts its calls and echoes its arguments. */
function counting() {
  const calls: unknown[][] = [];
  const fn = async (...args: unknown[]) => {
    calls.push(args);
    return { echo: args };
  };
  return { fn, calls };
}

describe("cached()", () => {
  it("returns the cached result for the same arguments, whatever their key order", async () => {
    const { fn, calls } = counting();
    const f = cached(fn);
    const first = await f({ a: 1, b: { c: 2, d: 3 } });
    expect(await f({ b: { d: 3, c: 2 }, a: 1 })).toBe(first);
    expect(calls).toHaveLength(1);
    expect(f.stats()).toMatchObject({ hits: 1, misses: 1, entries: 1, hitRate: 0.5 });
  });

  it("never gives one call another call's result", async () => {
    const { fn, calls } = counting();
    const f = cached(fn);
    const day = new Date(0);
    const argsList: unknown[][] = [
      ["a,b"],
      ["a", "b"],
      [["a", "b"]],
      [{ a: "b" }],
      [1],
      ["1"],
      [null],
      [],
      [undefined],
      [{ a: undefined }],
      [{}],
      [day],
      [day.toISOString()],
      [new Set([1])],
      [new Set([2])],
      [new Map([["k", 1]])],
      [new Map([["k", 2]])],
      [1n],
    ];
    for (const args of argsList) expect(await f(...args)).toEqual({ echo: args });
    expect(calls).toHaveLength(argsList.length);
  });

  it("refuses to key a function argument or a cycle, and takes a custom key for those", async () => {
    const { fn } = counting();
    const f = cached(fn);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const arg of [() => 1, cycle]) {
      await expect(f(arg)).rejects.toMatchObject({ code: "FLG_INVALID_ARGUMENT" });
    }
    const g = cached(fn, { key: (..._args: unknown[]) => "one" });
    await expect(g(cycle)).resolves.toEqual({ echo: [cycle] });
  });

  it("caches null and undefined results, and not rejections", async () => {
    let calls = 0;
    const f = cached(async (kind: string) => {
      calls++;
      if (kind === "fail" && calls < 4) throw new Error("flaky");
      return kind === "null" ? null : undefined;
    });
    expect(await f("null")).toBeNull();
    expect(await f("null")).toBeNull();
    expect(await f("undefined")).toBeUndefined();
    expect(await f("undefined")).toBeUndefined();
    expect(calls).toBe(2);
    await expect(f("fail")).rejects.toThrow("flaky");
    expect(await f.has("fail")).toBe(false);
    await expect(f("fail")).resolves.toBeUndefined();
    expect(calls).toBe(4);
  });

  it("shares one in-flight call among 100 concurrent identical calls", async () => {
    let calls = 0;
    const f = cached(async (x: number) => {
      calls++;
      await sleep(20);
      return x * 2;
    });
    const results = await Promise.all(Array.from({ length: 100 }, () => f(21)));
    expect(new Set(results)).toEqual(new Set([42]));
    expect(calls).toBe(1);
  });

  it("wraps sync functions too", async () => {
    let calls = 0;
    const f = cached((a: number, b: number) => {
      calls++;
      return a + b;
    });
    expect(await f(1, 2)).toBe(3);
    expect(await f(1, 2)).toBe(3);
    expect(calls).toBe(1);
  });

  it("expires results after ttl seconds", async () => {
    const { fn, calls } = counting();
    const f = cached(fn, { ttl: 0.05 });
    await f(1);
    await f(1);
    await sleep(80);
    await f(1);
    expect(calls).toHaveLength(2);
    expect(f.stats().expirations).toBe(1);
  });

  it("keeps at most maxEntries and maxBytes, the least recently used going first", async () => {
    const { fn } = counting();
    const f = cached(fn, { maxEntries: 2 });
    await f(1);
    await f(2);
    await f(1);
    await f(3);
    expect(await Promise.all([f.has(1), f.has(2), f.has(3)])).toEqual([true, false, true]);
    const big = cached(async (i: number) => "x".repeat(1000) + i, { maxBytes: 5000 });
    for (let i = 0; i < 50; i++) await big(i);
    expect(big.stats().bytes).toBeLessThanOrEqual(5000);
    expect(big.stats().entries).toBeGreaterThan(2);
  });

  it("invalidates one result, or clears them all", async () => {
    const { fn, calls } = counting();
    const f = cached(fn);
    await f(1);
    await f(2);
    await f.invalidate(1);
    expect(await Promise.all([f.has(1), f.has(2)])).toEqual([false, true]);
    await f.clear();
    expect(await f.has(2)).toBe(false);
    await f(1);
    expect(calls).toHaveLength(3);
  });

  it("takes a custom key", async () => {
    const { fn, calls } = counting();
    const f = cached(fn, { key: (user: unknown) => (user as { id: string }).id });
    await f({ id: "u1", name: "Ann" });
    await f({ id: "u1", name: "Ann B." });
    expect(calls).toHaveLength(1);
  });

  it("caches a chat model's answers", async () => {
    const model = new FakeListChatModel({ responses: ["first answer", "second answer"] });
    const ask = cached((prompt: string) => model.invoke(prompt));
    const a = await ask("What is LangGraph?");
    const b = await ask("What is LangGraph?");
    const c = await ask("Something else?");
    expect(a).toBeInstanceOf(AIMessage);
    expect(b).toBe(a);
    expect([a.content, c.content]).toEqual(["first answer", "second answer"]);
  });

  it("refuses invalid options with FLG_INVALID_ARGUMENT", () => {
    for (const options of [{ ttl: -1 }, { ttl: Number.NaN }, { maxEntries: 0 }, { maxBytes: 2.5 }]) {
      let error: unknown;
      try {
        cached(async () => 1, options);
      } catch (err) {
        error = err;
      }
      expect(error, JSON.stringify(options)).toBeInstanceOf(FastLangGraphError);
      expect((error as FastLangGraphError).code).toBe("FLG_INVALID_ARGUMENT");
    }
  });
});
