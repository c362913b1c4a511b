import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { RunnableLambda } from "@langchain/core/runnables";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { Annotation, END, MemorySaver, Send, START, StateGraph } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";

import { Profiler } from "../src/index.js";

const State = Annotation.Root({
  topics: Annotation<string[]>,
  notes: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

/** A planner that fans out one `research` task per topic with `Send`, and a model call in `write`. */
function fanOut() {
  const model = new FakeListChatModel({ responses: ["a summary"] });
  return new StateGraph(State)
    .addNode("plan", async () => ({}))
    .addNode("research", async (s: { topic: string }) => {
      await sleep(20);
      return { notes: [s.topic] };
    })
    .addNode("write", async (s) => ({ notes: [String((await model.invoke(s.notes.join())).content)] }))
    .addEdge(START, "plan")
    .addConditionalEdges("plan", (s) => s.topics.map((topic) => new Send("research", { topic })))
    .addEdge("research", "write")
    .addEdge("write", END)
    .compile({ checkpointer: new MemorySaver() });
}

const topics = ["a", "b", "c", "d", "e"];

describe("Profiler.wrap", () => {
  it("times each Send task of a fan-out as its own task, overlapping in one superstep", async () => {
    const profiler = new Profiler();
    const graph = profiler.wrap(fanOut());
    const out = await graph.invoke({ topics }, { configurable: { thread_id: "t" } });
    expect([...out.notes].sort()).toEqual([...topics, "a summary"].sort());

    const json = profiler.toJSON();
    const research = json.spans.filter((s) => s.name === "research");
    expect(research).toHaveLength(5);
    expect(new Set(research.map((s) => s.namespace)).size).toBe(5);
    const step = json.steps.find((s) => s.tasks[0].name === "research")!;
    expect(step.tasks).toHaveLength(5);
    // Five 20 ms sleeps side by side: most of the step has two or more of them running.
    expect(step.overlapMs).toBeGreaterThan(10);
    expect(json.steps.map((s) => s.tasks.map((t) => t.name).join())).toEqual([
      "plan",
      "research,research,research,research,research",
      "write",
    ]);
    expect(json.llm.map((s) => [s.name, s.count])).toEqual([["FakeListChatModel", 1]]);
  });

  it("leaves the caller's graph as it was: its runs are not recorded, its nodes not replaced", async () => {
    const profiler = new Profiler();
    const graph = fanOut();
    const nodes = graph.nodes;
    const bounds = Object.values(nodes).map((n) => n.bound);
    const wrapped = profiler.wrap(graph);
    expect(wrapped).toBeInstanceOf(graph.constructor);
    expect(graph.nodes).toBe(nodes);
    expect(Object.values(graph.nodes).map((n) => n.bound)).toEqual(bounds);

    await graph.invoke({ topics }, { configurable: { thread_id: "plain" } });
    expect(profiler.spans).toEqual([]);
    await wrapped.invoke({ topics }, { configurable: { thread_id: "profiled" } });
    expect(profiler.spans.filter((s) => s.kind === "node")).toHaveLength(7);
    // One checkpointer: the copy's runs are the graph's own, as state and history show.
    const state = await graph.getState({ configurable: { thread_id: "profiled" } });
    expect(state.values.notes).toHaveLength(6);
    expect(await wrapped.getState({ configurable: { thread_id: "plain" } })).toMatchObject({
      values: { topics },
    });
  });

  it("times runs made with stream and streamEvents too", async () => {
    const profiler = new Profiler();
    const graph = profiler.wrap(fanOut());
    const updates = [];
    for await (const chunk of await graph.stream(
      { topics },
      { configurable: { thread_id: "s" }, streamMode: "updates" },
    )) {
      updates.push(Object.keys(chunk)[0]);
    }
    expect(updates.filter((u) => u === "research")).toHaveLength(5);
    const events = [];
    for await (const e of graph.streamEvents({ topics }, { configurable: { thread_id: "e" }, version: "v2" })) {
      events.push(e.event);
    }
    expect(events).toContain("on_chat_model_end");
    const counts = profiler.toJSON().nodes.map((n) => [n.name, n.count]);
    expect(counts).toEqual(
      expect.arrayContaining([
        ["research", 10],
        ["plan", 2],
        ["write", 2],
      ]),
    );
  });

  it("rejects what is not a compiled graph with a clear error", () => {
    const profiler = new Profiler();
    for (const notAGraph of [{}, new StateGraph(State), null]) {
      expect(() => profiler.wrap(notAGraph as object)).toThrow(
        expect.objectContaining({ code: "FLG_INVALID_ARGUMENT", message: expect.stringContaining("compile()") }),
      );
    }
  });

  it("sees model calls made with the node's config, from a Runnable node, and with the caller's callbacks", async () => {
    const model = new FakeListChatModel({ responses: ["ok"] });
    const graph = new StateGraph(State)
      .addNode("withConfig", async (s, config) => ({ notes: [String((await model.invoke("a", config)).content)] }))
      .addNode(
        "runnable",
        RunnableLambda.from(async () => ({ notes: [String((await model.invoke("b")).content)] })),
      )
      .addEdge(START, "withConfig")
      .addEdge("withConfig", "runnable")
      .compile();
    const profiler = new Profiler();
    const ends: string[] = [];
    const out = await profiler
      .wrap(graph)
      .invoke({ topics: [] }, { callbacks: [{ handleLLMEnd: () => void ends.push("caller") }] });
    expect(out.notes).toEqual(["ok", "ok"]);
    const json = profiler.toJSON();
    expect(json.llm.map((s) => [s.name, s.count])).toEqual([["FakeListChatModel", 2]]);
    expect(json.nodes.map((n) => n.name).sort()).toEqual(["runnable", "withConfig"]);
    // The caller's own handler still sees both calls.
    expect(ends).toEqual(["caller", "caller"]);
  });

  it("sees no model calls with { models: false }, and still every task", async () => {
    const profiler = new Profiler({ models: false });
    await profiler.wrap(fanOut()).invoke({ topics }, { configurable: { thread_id: "t" } });
    const json = profiler.toJSON();
    expect(json.llm).toEqual([]);
    expect(json.nodes.map((n) => [n.name, n.count])).toEqual(
      expect.arrayContaining([
        ["research", 5],
        ["plan", 1],
        ["write", 1],
      ]),
    );
  });
});

describe("Profiler.handler", () => {
  it("times tasks and model calls of a graph it is passed to in callbacks, without wrap", async () => {
    const profiler = new Profiler();
    await fanOut().invoke({ topics }, { configurable: { thread_id: "t" }, callbacks: [profiler.handler] });
    const json = profiler.toJSON();
    expect(json.nodes.map((n) => [n.name, n.count])).toEqual(
      expect.arrayContaining([
        ["research", 5],
        ["plan", 1],
        ["write", 1],
      ]),
    );
    expect(json.llm).toHaveLength(1);
    expect(json.steps.map((s) => s.tasks.length)).toEqual([1, 5, 1]);
  });
});

describe("Profiler.checkpointer", () => {
  it("times list to the consumer's break, and counts the bytes of the tuples it gave", async () => {
    const profiler = new Profiler({ bytes: true });
    const saver = profiler.checkpointer(new MemorySaver());
    const graph = new StateGraph(State)
      .addNode("x", () => ({ notes: ["x"] }))
      .addEdge(START, "x")
      .compile({ checkpointer: saver });
    await graph.invoke({ topics }, { configurable: { thread_id: "t" } });
    let seen = 0;
    for await (const tuple of saver.list({ configurable: { thread_id: "t" } })) {
      expect(tuple.checkpoint.id).toBeTruthy();
      if (++seen === 2) break;
    }
    const list = profiler.spans.filter((s) => s.name === "list");
    expect(list).toHaveLength(1);
    expect(list[0].status).toBe("ok");
    expect(list[0].bytes).toBeGreaterThan(0);
    expect(list[0].end).toBeGreaterThanOrEqual(list[0].start);
    expect(await html(profiler)).toContain("<th>KB</th>");
  });

  it("counts no bytes unless asked to", async () => {
    const profiler = new Profiler();
    const saver = profiler.checkpointer(new MemorySaver());
    const graph = new StateGraph(State)
      .addNode("x", () => ({ notes: ["x"] }))
      .addEdge(START, "x")
      .compile({ checkpointer: saver });
    await graph.invoke({ topics }, { configurable: { thread_id: "t" } });
    for await (const tuple of saver.list({ configurable: { thread_id: "t" } })) expect(tuple.config).toBeTruthy();
    const calls = profiler.spans.filter((s) => s.kind === "checkpointer");
    expect(new Set(calls.map((s) => s.name))).toEqual(new Set(["getTuple", "put", "putWrites", "list"]));
    expect(calls.filter((s) => s.bytes !== undefined)).toEqual([]);
    expect(await html(profiler)).not.toContain("<th>KB</th>");
  });
});

async function html(profiler: Profiler): Promise<string> {
  const page = join(mkdtempSync(join(tmpdir(), "flg-profile-")), "profile.html");
  await profiler.writeHtml(page);
  return readFileSync(page, "utf8");
}
