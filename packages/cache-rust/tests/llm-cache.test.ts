import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { AIMessage } from "@langchain/core/messages";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { afterAll, describe, expect, it } from "vitest";

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

describe("RustLLMCache with a path", () => {
  const dir = mkdtempSync(join(tmpdir(), "flg-llm-cache-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps answers, as messages, for the next cache opened on the file", async () => {
    const path = join(dir, "answers.db");
    const first = new RustLLMCache({ path });
    const model = new FakeListChatModel({ responses: ["first", "second"], cache: first });
    expect((await model.invoke("What is LangGraph?")).content).toBe("first");
    await first.close();

    const second = new RustLLMCache({ path });
    const restarted = new FakeListChatModel({ responses: ["other"], cache: second });
    const answer = await restarted.invoke("What is LangGraph?");
    expect(answer).toBeInstanceOf(AIMessage);
    expect(answer.content).toBe("first");
    expect(second.stats()).toMatchObject({ hits: 1, entries: 1 });
    await second.clear();
    expect((await restarted.invoke("What is LangGraph?")).content).toBe("other");
    await second.close();
  });
});
