import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { RustCache } from "@fast-langgraph/cache-rust";
import { RustSqliteSaver } from "@fast-langgraph/checkpoint-rust";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { Annotation, Command, END, MemorySaver, START, StateGraph, interrupt } from "@langchain/langgraph";
import { InMemoryCache } from "@langchain/langgraph-checkpoint";
import { afterAll, describe, expect, it } from "vitest";

import { Profiler } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "flg-profiler-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const State = Annotation.Root({
  n: Annotation<number>({ reducer: (a, b) => a + b, default: () => 0 }),
  answer: Annotation<string>,
});

/**
 * Parallel branches (`fast`, `flaky`), a node that fails once and is retried, a subgraph, a model
 * call, a cached node and an interrupt.
 */
function buildGraph(saver: MemorySaver | RustSqliteSaver, cache: RustCache | InMemoryCache) {
  const sub = new StateGraph(State)
    .addNode("inner", async () => ({ n: 1 }))
    .addEdge(START, "inner")
    .compile();
  let failures = 1;
  const model = new FakeListChatModel({ responses: ["hello", "again"] });
  return new StateGraph(State)
    .addNode("fast", async () => ({ n: 1 }))
    .addNode(
      "flaky",
      async () => {
        if (failures-- > 0) throw new Error("transient");
        return { n: 1 };
      },
      { retryPolicy: { maxAttempts: 2, initialInterval: 1, jitter: false, logWarning: false } },
    )
    .addNode("slow", async () => {
      await sleep(150); // well above the subgraph's own time, even on a loaded machine
      return { n: 1 };
    })
    .addNode("sub", sub)
    .addNode("ask", async () => ({ answer: String((await model.invoke("hi")).content) }))
    .addNode("lookup", async () => ({ n: 10 }), { cachePolicy: { keyFunc: () => "same" } })
    .addNode("approve", async () => ({ answer: String(interrupt("ok?")) }))
    .addEdge(START, "fast")
    .addEdge(START, "flaky")
    .addEdge("fast", "slow")
    .addEdge("flaky", "slow")
    .addEdge("slow", "sub")
    .addEdge("sub", "ask")
    .addEdge("ask", "lookup")
    .addEdge("lookup", "approve")
    .addEdge("approve", END)
    .compile({ checkpointer: saver, cache });
}

describe.each([
  ["MemorySaver and InMemoryCache", () => ({ saver: new MemorySaver(), cache: new InMemoryCache() })],
  [
    "RustSqliteSaver and RustCache",
    () => ({ saver: new RustSqliteSaver({ path: join(dir, `${Math.random()}.db`) }), cache: new RustCache() }),
  ],
])("Profiler with %s", (_name, make) => {
  it("records every node, retry, subgraph task, model call, checkpoint write and cache hit", async () => {
    const profiler = new Profiler({ bytes: true });
    const { saver, cache } = make();
    const graph = profiler.wrap(buildGraph(profiler.checkpointer(saver), profiler.cache(cache)));
    const config = { configurable: { thread_id: "t" } };
    const first = await graph.invoke({ n: 0 }, config);
    expect((first as { __interrupt__?: unknown[] }).__interrupt__).toHaveLength(1);
    const done = await graph.invoke(new Command({ resume: "yes" }), config);
    expect(done).toMatchObject({ answer: "yes" });
    // A second thread: the cached node is not run again.
    await graph.invoke({ n: 0 }, { configurable: { thread_id: "u" } });

    const json = profiler.toJSON();
    const count = (name: string) => json.nodes.find((n) => n.name === name)?.count;
    expect(count("fast")).toBe(2);
    expect(count("flaky")).toBe(3); // a failed and a retried attempt, then the second thread's
    expect(count("inner")).toBe(2);
    expect(count("lookup")).toBe(1);
    const flaky = json.spans.filter((s) => s.name === "flaky");
    expect(flaky.map((s) => [s.status, s.attempt])).toEqual([
      ["error", 1],
      ["ok", 2],
      ["ok", 1],
    ]);
    const inner = json.spans.find((s) => s.name === "inner")!;
    expect(inner.namespace).toMatch(/^sub:[^|]+\|inner:/);
    // Parallel branches ran in the same step and overlapped.
    const [fast, firstFlaky] = [json.spans.find((s) => s.name === "fast")!, flaky[0]];
    expect(fast.step).toBe(firstFlaky.step);
    expect(Math.max(fast.start, firstFlaky.start)).toBeLessThan(Math.min(fast.end, firstFlaky.end));
    expect(json.spans.filter((s) => s.name === "approve").map((s) => s.status)).toEqual([
      "interrupt",
      "ok",
      "interrupt",
    ]);
    expect(json.llm.map((s) => [s.name, s.count])).toEqual([["FakeListChatModel", 2]]);
    // The slow node is at the top.
    expect(json.nodes[0].name).toBe("slow");
    expect(json.checkpointer.find((s) => s.name === "put")!.count).toBeGreaterThan(10);
    expect(json.checkpointer.find((s) => s.name === "getTuple")!.count).toBeGreaterThanOrEqual(3);
    expect(json.cacheHits).toEqual({ keys: 2, hits: 1 });
    // Bytes carried, serialized with the saver's serde: every write and read carried some.
    for (const op of ["put", "putWrites", "getTuple"]) {
      expect(json.checkpointer.find((s) => s.name === op)!.bytes).toBeGreaterThan(0);
    }
    // Supersteps of the top-level graph: the first holds both branches (and flaky's retry), overlapping.
    const branches = json.steps.find((s) => s.tasks.some((t) => t.name === "fast"))!;
    expect(branches.tasks.map((t) => t.name).sort()).toEqual(["fast", "flaky", "flaky"]);
    expect(branches.overlapMs).toBeGreaterThan(0);
    expect(json.steps.some((s) => s.tasks.some((t) => t.name === "inner"))).toBe(false);
    expect(json.steps.filter((s) => s.tasks.some((t) => t.name === "slow"))).toHaveLength(2);
    // The interrupted step and its resumption are two runs of the step, not one stretched over the wait.
    const approvals = json.steps.filter((s) => s.tasks.some((t) => t.name === "approve"));
    expect(approvals.map((s) => s.tasks.map((t) => t.status))).toEqual([["interrupt"], ["ok"], ["interrupt"]]);

    const report = profiler.report();
    expect(report.split("\n")[0]).toBe("Nodes");
    expect(report.split("\n")[2]).toMatch(/^slow\s+2\s/);
    expect(report).toContain("Cache hit rate: 1/2 (50%)");
    // The slowest supersteps, each task a bar within its step; slow runs alone in its own.
    expect(report).toMatch(/\nSlowest supersteps \(5 of 12\)\nstep \d+ {2}\d+\.\d\d ms {2}\d tasks?/);
    expect(report).toMatch(/\n {2}slow +\|█{40}\| \d/);

    const trace = profiler.toChromeTrace();
    const events = trace.traceEvents.filter((e) => e.ph === "X");
    expect(events).toHaveLength(json.spans.length);
    const slowest = events.filter((e) => e.cat === "node").sort((a, b) => Number(b.dur) - Number(a.dur))[0];
    expect(slowest.name).toBe("slow");
    expect(JSON.parse(JSON.stringify(trace))).toEqual(trace);
    if (saver instanceof RustSqliteSaver) await saver.close();
  });
});

describe("Profiler wrappers", () => {
  it("keep the wrapped objects' own methods, fields and class", async () => {
    const profiler = new Profiler();
    const saver = new RustSqliteSaver();
    const wrapped = profiler.checkpointer(saver);
    expect(wrapped).toBeInstanceOf(RustSqliteSaver);
    // Methods that read private fields still work through the wrapper.
    await wrapped.deleteThread("nobody");
    const tuples = [];
    for await (const t of wrapped.list({ configurable: { thread_id: "none" } })) tuples.push(t);
    expect(tuples).toEqual([]);
    expect(profiler.toJSON().checkpointer.map((s) => s.name)).toEqual(["list"]);
    await saver.close();
  });
});
