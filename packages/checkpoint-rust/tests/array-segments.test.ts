import { describe, expect, it } from "vitest";

import { Annotation, END, MemorySaver, START, StateGraph } from "@langchain/langgraph";
import { JsonPlusSerializer, emptyCheckpoint, uuid6, type BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import type { RunnableConfig } from "@langchain/core/runnables";

import { ArraySegmenter } from "../src/array-segments.js";
import type { ListPlace } from "../src/message-list.js";
import { tempSavers } from "./fixtures/temp-savers.js";

// Plain arrays that grow by appending are stored as runs of elements, each run once per thread
// (like messages, crates/core/src/store/chunks.rs). Every checkpoint must read back exactly the array
// it was put with, whatever happened to the array's objects after or in between.

const { saverAt } = tempSavers("arrays");
const serde = new JsonPlusSerializer();

type Item = Record<string, unknown>;
const item = (n: number): Item => ({ n, text: `item ${n}: `.padEnd(120, "."), tags: ["a", { deep: [n, null] }] });

describe("ArraySegmenter", () => {
  const place = (checkpointId: string, parentId: string | undefined): ListPlace => ({
    threadId: "t",
    checkpointNs: "",
    channel: "items",
    version: checkpointId,
    checkpointId,
    parentId,
  });

  it("writes what JsonPlusSerializer writes after appends, in-place edits, moved keys, removals and odd values", async () => {
    const segmenter = new ArraySegmenter();
    let items: unknown[] = Array.from({ length: 30 }, (_, n) => item(n));
    const edits: ((a: unknown[]) => unknown[])[] = [
      (a) => [...a, item(30)],
      (a) => [...a, ...Array.from({ length: 12 }, (_, n) => item(31 + n))],
      (a) => (((a[3] as Item).text = "changed in place"), a),
      (a) => ((((a[5] as Item).tags as unknown[])[1] = { deep: "replaced" }), a),
      (a) => {
        const moved = a[7] as Item;
        const { n } = moved;
        delete moved.n;
        moved.n = n;
        return a;
      },
      (a) => a.map((x, i) => (i === 10 ? item(1000) : x)),
      (a) => a.slice(1),
      (a) => [...a, "a string", 42, -0, null, true, [1, [2]], {}],
      (a) => [...a, 1.5],
      (a) => (a.push(item(99)), a),
      (a) => a.slice(0, 20),
      (a) => [...a, ...a.slice(0, 5)],
    ];
    let parent: string | undefined;
    for (const [step, edit] of edits.entries()) {
      items = edit(items);
      const id = `c${step}`;
      const runs = segmenter.encode(serde, items, place(id, parent))!;
      expect(runs).toBeDefined();
      const [, stock] = await serde.dumpsTyped(items);
      expect(Buffer.from(runs.json()).toString("utf8")).toBe(Buffer.from(stock).toString("utf8"));
      parent = id;
    }
  });

  it("reuses runs whose elements are unchanged, and leaves anything but plain JSON to the whole-value path", () => {
    const segmenter = new ArraySegmenter();
    const first = Array.from({ length: 40 }, (_, n) => item(n));
    const a = segmenter.encode(serde, first, place("c1", undefined))!;
    const b = segmenter.encode(serde, [...first, item(40)], place("c2", "c1"))!;
    // The first run is large enough to keep; the new element makes a run of its own.
    expect(b.items[0]).toBe(a.items[0]);
    expect(b.items.length).toBe(2);
    // Another parent: nothing is reused.
    const c = segmenter.encode(serde, [...first, item(40)], place("c3", "other"))!;
    expect(c.items[0]).not.toBe(a.items[0]);
    for (const value of [[], [undefined], [new Date(0)], [{ lg_name: "Send", node: "x", args: {} }], [() => 1]]) {
      expect(segmenter.encode(serde, value, place("c4", "c3"))).toBeUndefined();
    }
    class Custom extends JsonPlusSerializer {}
    expect(segmenter.encode(new Custom(), first, place("c5", undefined))).toBeUndefined();
  });
});

describe("RustSqliteSaver with a plain array channel", () => {
  const thread = (id: string, checkpointId?: string): RunnableConfig => ({
    configurable: { thread_id: id, checkpoint_ns: "", ...(checkpointId ? { checkpoint_id: checkpointId } : {}) },
  });

  it("reads every checkpoint back as it was put, through appends and edits in place, and stores each element once", async () => {
    const saver = saverAt();
    const items: Item[] = [];
    const expected: [string, Item[]][] = [];
    let config = thread("items");
    for (let step = 0; step < 120; step++) {
      items.push(item(step));
      if (step % 17 === 5) items[step >> 1].text = `edited at ${step}`;
      if (step % 29 === 7) delete items[step >> 2].tags;
      const checkpoint = {
        ...emptyCheckpoint(),
        id: uuid6(-1),
        channel_values: { items },
        channel_versions: { items: step + 1 },
      };
      config = await saver.put(config, checkpoint, { source: "loop", step, parents: {} }, { items: step + 1 });
      expected.push([checkpoint.id, structuredClone(items)]);
    }
    for (const [id, value] of expected) {
      const tuple = await saver.getTuple(thread("items", id));
      expect(tuple?.checkpoint.channel_values.items).toStrictEqual(value);
    }
    const stats = await saver.stats();
    // Stored whole, the 120 versions would hold 60 times the final array; each checkpoint's own row
    // (versions, metadata) is the same either way, and keeps the ratio near 13 at this length.
    expect(stats.dedupRatio).toBeGreaterThan(10);
  });

  function graph(checkpointer: BaseCheckpointSaver) {
    const State = Annotation.Root({
      items: Annotation<Item[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
    });
    return new StateGraph(State)
      .addNode("add", (s) => ({ items: [item(s.items.length)] }))
      .addEdge(START, "add")
      .addConditionalEdges("add", (s) => (s.items.length >= 60 ? END : "add"))
      .compile({ checkpointer });
  }

  async function history(checkpointer: BaseCheckpointSaver) {
    const app = graph(checkpointer);
    const config = { ...thread("graph"), recursionLimit: 100 };
    await app.invoke({ items: [] }, config);
    // A fork from the middle carries on with its own elements.
    const states = [];
    for await (const s of app.getStateHistory(config)) states.push(s);
    const fork = await app.updateState(states[30].config, { items: [{ forked: true }] });
    await app.invoke(null, { ...fork, recursionLimit: 100 });
    const out = [];
    for await (const s of app.getStateHistory(config)) out.push({ values: s.values, next: s.next });
    return out;
  }

  it("reads back what MemorySaver reads back in a real graph, with a fork", async () => {
    const saver = saverAt();
    const ours = await history(saver);
    const memory = await history(new MemorySaver());
    expect(ours.length).toBe(memory.length);
    expect(ours).toStrictEqual(memory);
    expect((await saver.stats()).dedupRatio).toBeGreaterThan(5);
  });
});
