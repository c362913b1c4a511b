import { Annotation, START, StateGraph } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";

import { RustCache, canonicalKey } from "../src/index.js";

describe("canonicalKey", () => {
  it("does not depend on the order of object keys", () => {
    expect(canonicalKey([{ b: 1, a: { y: [1, 2], x: "s" } }])).toBe(canonicalKey([{ a: { x: "s", y: [1, 2] }, b: 1 }]));
    expect(canonicalKey([{ a: 1 }])).toMatch(/^[0-9a-f]{32}$/);
  });

  it("tells different inputs apart", () => {
    const inputs = [{ a: 1 }, { a: "1" }, { a: [1] }, { a: 1, b: null }, { "a,b": 1 }, ["a", 1], "a", null, 1, {}];
    expect(new Set(inputs.map((input) => canonicalKey([input]))).size).toBe(inputs.length);
  });

  it("still gives a key for input nested deeper than the native parser takes", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 300; i++) deep = { d: deep };
    expect(canonicalKey([deep])).toBe(JSON.stringify([deep]));
  });

  it("works as a node's keyFunc", async () => {
    const State = Annotation.Root({ doc: Annotation<Record<string, string>>, out: Annotation<number> });
    let runs = 0;
    const cache = new RustCache();
    const graph = new StateGraph(State)
      .addNode(
        "measure",
        async (s) => {
          runs++;
          return { out: Object.keys(s.doc).length };
        },
        { cachePolicy: { keyFunc: canonicalKey } },
      )
      .addEdge(START, "measure")
      .compile({ cache });
    const doc = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, "x".repeat(100)]));
    expect((await graph.invoke({ doc })).out).toBe(100);
    expect((await graph.invoke({ doc: { ...doc } })).out).toBe(100);
    expect((await graph.invoke({ doc: { ...doc, k0: "changed" } })).out).toBe(100);
    expect(runs).toBe(2);
    expect(cache.stats().hits).toBe(1);
  });
});
