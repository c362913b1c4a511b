import { setTimeout as sleep } from "node:timers/promises";

import { FakeListChatModel } from "@langchain/core/utils/testing";
import { describe, expect, it } from "vitest";

import { FastLangGraphError, RustLLMCache } from "../src/index.js";

describe("RustLLMCache", () => {
  it("answers a repeated prompt from the cache", async () => {
    const cache = new RustLLMCache();
    const model = new FakeListChatModel({ responses: ["first", "second", "third"], cache });
    expect((await model.invoke("What is LangGraph?")).content).toBe("first");
    expect((await model.invoke("What is LangGraph?")).content).toBe("first");
    expect((await model.invoke("Something else")).content).toBe("second");
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 2, entries: 2 });
  });

  it("keys on the whole prompt and model key", async () => {
    const cache = new RustLLMCache();
    await cache.update("a", "b,c", [{ text: "1" }]);
    expect(await cache.lookup("a,b", "c")).toBeNull();
    expect(await cache.lookup("a", "b,c")).toEqual([{ text: "1" }]);
  });

  it("expires answers after ttl seconds and stays within maxEntries", async () => {
    const cache = new RustLLMCache({ ttl: 0.05, maxEntries: 2 });
    for (const prompt of ["a", "b", "c"]) await cache.update(prompt, "m", [{ text: prompt }]);
    expect(await cache.lookup("a", "m")).toBeNull();
    expect(await cache.lookup("c", "m")).toEqual([{ text: "c" }]);
    await sleep(80);
    expect(await cache.lookup("c", "m")).toBeNull();
    expect(cache.stats()).toMatchObject({ evictions: 1, expirations: 1 });
  });

  it("refuses invalid options with FLG_INVALID_ARGUMENT", () => {
    expect(() => new RustLLMCache({ ttl: -1 })).toThrow(FastLangGraphError);
    expect(() => new RustLLMCache({ maxBytes: 0 })).toThrow(/maxBytes must be a whole number/);
  });
});
