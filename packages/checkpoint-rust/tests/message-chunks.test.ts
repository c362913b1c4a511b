import { describe, expect, it, vi } from "vitest";

import { AIMessage, HumanMessage, RemoveMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import {
  DeltaValue,
  END,
  MemorySaver,
  MessagesAnnotation,
  START,
  StateGraph,
  StateSchema,
  messagesDeltaReducer,
} from "@langchain/langgraph";
import { DeltaSnapshot, JsonPlusSerializer, type BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { z } from "zod/v4";

import { NativeCheckpointStore } from "@fast-langgraph/native";

import { RustSqliteSaver } from "../src/index.js";
import { tempSavers } from "./fixtures/temp-savers.js";

// Message lists of 2 KB and more are stored message by message (crates/core/src/store/chunks.rs).
// Every case runs the same real graph on MemorySaver and on RustSqliteSaver and compares what each
// reads back; `stats()` shows what was stored.

const { path: dbPath, saverAt } = tempSavers("chunks");

/** Each call appends an AI message with a tool call, then a tool result: two ~600-byte messages. */
function agent(checkpointer: BaseCheckpointSaver, turns: number) {
  return new StateGraph(MessagesAnnotation)
    .addNode("agent", (s) => {
      const n = s.messages.length;
      return {
        messages: [
          new AIMessage({
            content: `Step ${n}: thinking it over. `.repeat(20),
            id: `ai-${n}`,
            tool_calls: [{ id: `call-${n}`, name: "search", args: { q: n } }],
          }),
        ],
      };
    })
    .addNode("tools", (s) => {
      const last = s.messages[s.messages.length - 1] as AIMessage;
      const call = last.tool_calls![0];
      return {
        messages: [
          new ToolMessage({ content: `Found ${call.args.q}. `.repeat(30), tool_call_id: call.id!, id: `t-${call.id}` }),
        ],
      };
    })
    .addEdge(START, "agent")
    .addConditionalEdges("agent", (s) => (s.messages.length >= 1 + 2 * turns ? END : "tools"))
    .addEdge("tools", "agent")
    .compile({ checkpointer });
}

async function history(graph: ReturnType<typeof agent>, threadId: string) {
  const out: BaseMessage[][] = [];
  for await (const s of graph.getStateHistory({ configurable: { thread_id: threadId } })) {
    out.push((s.values as { messages?: BaseMessage[] }).messages ?? []);
  }
  return out;
}

async function bothRun(
  saver: RustSqliteSaver,
  run: (graph: ReturnType<typeof agent>) => Promise<void>,
  turns = 12,
): Promise<BaseMessage[][]> {
  const peer = agent(new MemorySaver(), turns);
  const ours = agent(saver, turns);
  await run(peer);
  await run(ours);
  const expected = await history(peer, "t");
  const got = await history(ours, "t");
  expect(got).toStrictEqual(expected);
  return got;
}

const start = { messages: [new HumanMessage({ content: "Research SQLite.", id: "h-0" })] };
const thread = { configurable: { thread_id: "t" }, recursionLimit: 200 };

describe.each([
  ["on a file", () => saverAt(dbPath())],
  ["in memory", () => new RustSqliteSaver()],
])("message lists stored message by message, %s", (_where, open) => {
  it("read back as MemorySaver reads them, each message stored once", async () => {
    const saver = open();
    const states = await bothRun(
      saver,
      async (g) => {
        await g.invoke(start, thread);
      },
      20,
    );
    // The agent stops once, after its own message, the list holds 2 * turns + 1 or more.
    expect(states[0]).toHaveLength(42);
    const stats = await saver.stats();
    // Every checkpoint would hold its whole list: a quadratic sum, against each message once.
    expect(stats.logicalBytes).toBeGreaterThan(5 * stats.storedBytes);
    expect(stats.dedupRatio).toBeGreaterThan(5);
  });

  it("follow forks, removals, replacements and in-place edits", async () => {
    const saver = open();
    await bothRun(saver, async (g) => {
      await g.invoke(start, thread);
      const states: { config: typeof thread }[] = [];
      for await (const s of g.getStateHistory(thread)) states.push(s as never);
      // Fork from the middle, then remove one message and replace another there.
      const fork = await g.updateState(states[10].config, {
        messages: [
          new RemoveMessage({ id: "ai-3" }),
          new HumanMessage({ content: "Replaced. ".repeat(40), id: "h-0" }),
        ],
      });
      await g.invoke(null, { ...fork, recursionLimit: 200 } as never);
      // Edit a message read back, in place, and write the list again.
      const head = await g.getState(thread);
      const messages = (head.values as { messages: BaseMessage[] }).messages;
      messages[1].content = "Edited in place.";
      await g.updateState(thread, { messages: [messages[1]] });
    });
  });

  it("are sent again whole when the thread lost them (deleteThread), and read back", async () => {
    const saver = open();
    // Watches the store's answers (calls go through unchanged).
    const codes: string[] = [];
    const put = NativeCheckpointStore.prototype.put;
    const spy = vi.spyOn(NativeCheckpointStore.prototype, "put").mockImplementation(function (this: never, ...args) {
      return put.apply(this, args).catch((err: Error) => {
        codes.push(err.message.split(":")[0]);
        throw err;
      });
    });
    try {
      await bothRun(saver, async (g) => {
        const out = await g.invoke(start, thread);
        // These objects were stored in thread "t" by this saver, which sends them by hash alone.
        await (g.checkpointer as BaseCheckpointSaver).deleteThread("t");
        await g.updateState(thread, { messages: out.messages });
        await g.updateState(thread, { messages: [new HumanMessage({ content: "Again.", id: "h-again" })] });
      });
    } finally {
      spy.mockRestore();
    }
    expect(codes).toEqual(["FLG_CHUNK_MISSING"]);
  });
});

it("a serializer of the user's own stores lists whole, and reads them back", async () => {
  class Custom extends JsonPlusSerializer {}
  const saver = saverAt(dbPath());
  const custom = new RustSqliteSaver({ path: saver.path, serde: new Custom() });
  await custom.setup();
  try {
    const states = await bothRun(
      custom,
      async (g) => {
        await g.invoke(start, thread);
      },
      4,
    );
    expect(states[0]).toHaveLength(10);
    // No message stored apart: what is stored is what each checkpoint lists, versions shared only.
    const stats = await custom.stats();
    expect(stats.dedupRatio).toBeLessThan(2);
  } finally {
    await custom.close();
  }
});

it("a file written message by message reads back in a second saver, which continues the thread", async () => {
  const path = dbPath();
  const first = saverAt(path);
  const memory = new MemorySaver();
  for (const saver of [first, memory]) await agent(saver, 6).invoke(start, thread);
  const expected = await history(agent(memory, 6), "t");
  expect(await history(agent(first, 6), "t")).toStrictEqual(expected);
  await first.close();
  const second = saverAt(path);
  expect(await history(agent(second, 6), "t")).toStrictEqual(expected);
  const more = { messages: [new HumanMessage({ content: "And its history?", id: "h-1" })] };
  for (const saver of [second, memory]) await agent(saver, 10).invoke(more, thread);
  expect(await history(agent(second, 10), "t")).toStrictEqual(await history(agent(memory, 10), "t"));
});

it("two savers on one file take turns on a thread, and read back what MemorySaver does", async () => {
  const path = dbPath();
  const [a, b] = [saverAt(path), saverAt(path)];
  const memory = new MemorySaver();
  // As when two workers serve one conversation: each turn starts from what the other one stored.
  for (let turn = 0; turn < 6; turn++) {
    for (const s of [turn % 2 ? b : a, memory]) {
      await agent(s, 4 * (turn + 1)).invoke(
        { messages: [new HumanMessage({ content: `Turn ${turn}.`, id: `u-${turn}` })] },
        thread,
      );
    }
  }
  const expected = await history(agent(memory, 24), "t");
  expect(await history(agent(a, 24), "t")).toStrictEqual(expected);
  expect(await history(agent(b, 24), "t")).toStrictEqual(expected);
});

describe("DeltaChannel snapshots", () => {
  // A snapshot every 3 updates: each is a DeltaSnapshot of the whole list in channel_values, written
  // from the messages' kept JSON where the stock serializer would write the list again.
  const State = new StateSchema({
    messages: new DeltaValue(
      z.custom<BaseMessage[]>().default(() => []),
      {
        inputSchema: z.custom<BaseMessage | BaseMessage[]>(),
        reducer: messagesDeltaReducer,
        snapshotFrequency: 3,
      },
    ),
  });
  function chat(checkpointer: BaseCheckpointSaver) {
    return new StateGraph(State)
      .addNode("reply", (s) => ({
        messages: [
          new AIMessage({
            content: `Reply ${s.messages.length}. `.repeat(20),
            id: `ai-${s.messages.length}`,
            tool_calls: [{ id: `c-${s.messages.length}`, name: "x", args: { n: s.messages.length } }],
          }),
        ],
      }))
      .addEdge(START, "reply")
      .addConditionalEdges("reply", (s) => (s.messages.length >= 16 ? END : "reply"))
      .compile({ checkpointer });
  }

  it("read back as MemorySaver reads them, checkpoint by checkpoint", async () => {
    const saver = saverAt(dbPath());
    const dumps = vi.spyOn(saver.serde, "dumpsTyped");
    const runs = [] as { values: unknown; raw: unknown }[][];
    for (const checkpointer of [new MemorySaver(), saver]) {
      const graph = chat(checkpointer);
      await graph.invoke({ messages: [new HumanMessage({ content: "go", id: "h" })] }, thread);
      const out = [];
      for await (const s of graph.getStateHistory(thread)) {
        const tuple = await checkpointer.getTuple(s.config);
        out.push({ values: s.values, raw: tuple?.checkpoint.channel_values.messages });
      }
      runs.push(out);
    }
    const [memory, ours] = runs;
    expect(ours).toStrictEqual(memory);
    expect(ours.filter((s) => s.raw instanceof DeltaSnapshot).length).toBeGreaterThan(3);
    // No snapshot went through the stock serializer.
    expect(dumps.mock.calls.some(([value]) => value instanceof DeltaSnapshot)).toBe(false);
  });
});

describe('compression: "zstd"', () => {
  it("reads back what it stores, in a fraction of the bytes, in a file that also holds uncompressed threads", async () => {
    const path = dbPath();
    const plain = saverAt(path);
    await agent(plain, 12).invoke(start, thread);
    const expected = await history(agent(plain, 12), "t");
    const { storedBytes: plainBytes, logicalBytes } = await plain.stats();
    await plain.close();

    const zstd = new RustSqliteSaver({ path, compression: "zstd" });
    try {
      await agent(zstd, 12).invoke(start, { ...thread, configurable: { thread_id: "z" } });
      expect(await history(agent(zstd, 12), "z")).toStrictEqual(expected);
      expect(await history(agent(zstd, 12), "t")).toStrictEqual(expected);
      const both = await zstd.stats();
      // The same conversation again, logically (channel versions, random fractions, differ in
      // length); stored compressed (checkpoints and metadata are not), less.
      expect(Math.abs(both.logicalBytes - 2 * logicalBytes)).toBeLessThan(logicalBytes / 100);
      expect(both.storedBytes - plainBytes).toBeLessThan(plainBytes * 0.75);
    } finally {
      await zstd.close();
    }
    // Read back without the option too.
    expect(await history(agent(saverAt(path), 12), "z")).toStrictEqual(expected);
  });

  it("refuses an unknown compression", () => {
    expect(() => new RustSqliteSaver({ compression: "gzip" as never })).toThrow(
      expect.objectContaining({ code: "FLG_INVALID_ARGUMENT" }),
    );
  });
});
