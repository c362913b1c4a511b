import { describe, expect, it } from "vitest";

import { AIMessage, HumanMessage, RemoveMessage, type BaseMessage } from "@langchain/core/messages";
import {
  END,
  MemorySaver,
  MessagesAnnotation,
  MessagesDeltaValue,
  REMOVE_ALL_MESSAGES,
  START,
  StateGraph,
  StateSchema,
  type StateSnapshot,
} from "@langchain/langgraph";
import type { BaseCheckpointSaver, CheckpointTuple } from "@langchain/langgraph-checkpoint";

import { FastLangGraphError, RustSqliteSaver } from "../src/index.js";
import { tempSavers } from "./fixtures/temp-savers.js";

// prune() on real graphs: what it keeps reads back as before, LangGraph continues the thread from it,
// and a delta channel's kept checkpoint still rebuilds its value.

const { path: dbPath, saverAt } = tempSavers("prune");

/** One long (~700-byte) message per step until the list holds `size` messages. */
function chat(checkpointer: BaseCheckpointSaver, size: number, delta = false) {
  const reply = (s: { messages: BaseMessage[] }) => ({
    messages: [new AIMessage({ content: `Reply ${s.messages.length}. `.repeat(50), id: `ai-${s.messages.length}` })],
  });
  const more = (s: { messages: BaseMessage[] }) => (s.messages.length >= size ? END : "reply");
  if (delta) {
    return new StateGraph(new StateSchema({ messages: MessagesDeltaValue }))
      .addNode("reply", reply as never)
      .addEdge(START, "reply")
      .addConditionalEdges("reply", more as never)
      .compile({ checkpointer });
  }
  return new StateGraph(MessagesAnnotation)
    .addNode("reply", reply)
    .addEdge(START, "reply")
    .addConditionalEdges("reply", more)
    .compile({ checkpointer });
}

async function collect<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iter) out.push(item);
  return out;
}

const config = (thread: string) => ({ configurable: { thread_id: thread }, recursionLimit: 500 });
const hello = (text: string) => ({ messages: [new HumanMessage({ content: text, id: `h-${text}` })] });
const values = (states: StateSnapshot[]) => states.map((s) => s.values);

describe("prune()", () => {
  it("keeps the latest checkpoints as they were; the thread goes on from them as if nothing was pruned", async () => {
    const saver = saverAt(dbPath());
    const memory = new MemorySaver();
    for (const s of [saver, memory]) await chat(s, 30).invoke(hello("a"), config("a"));
    await chat(saver, 10).invoke(hello("b"), config("b"));
    const before = await collect(saver.list(config("a")));
    const otherBefore = await collect(saver.list(config("b")));
    const bytesBefore = (await saver.stats()).storedBytes;

    const pruned = await saver.prune({ threadId: "a", keepLast: 3 });
    expect(pruned.checkpoints).toBe(before.length - 3);
    expect(pruned.writes).toBeGreaterThan(0);
    const after = await collect(saver.list(config("a")));
    expect(after).toStrictEqual(before.slice(0, 3));
    // Another thread is not touched.
    expect(await collect(saver.list(config("b")))).toStrictEqual(otherBefore);
    expect((await saver.stats()).storedBytes).toBeLessThan(bytesBefore);

    for (const s of [saver, memory]) await chat(s, 40).invoke(hello("again"), config("a"));
    const [ours] = values(await collect(chat(saver, 40).getStateHistory(config("a"))));
    const [peer] = values(await collect(chat(memory, 40).getStateHistory(config("a"))));
    expect(ours).toStrictEqual(peer);
  });

  it("without a thread, prunes every thread; the messages no kept list holds are deleted", async () => {
    const saver = saverAt(dbPath());
    for (const thread of ["a", "b"]) await chat(saver, 20).invoke(hello(thread), config(thread));
    // Thread "a" then drops all but its first message.
    const graph = chat(saver, 20);
    const head = await graph.getState(config("a"));
    const first = (head.values as { messages: BaseMessage[] }).messages[0];
    await graph.updateState(config("a"), { messages: [new RemoveMessage({ id: REMOVE_ALL_MESSAGES }), first] });
    const pruned = await saver.prune({ keepLast: 1 });
    expect(pruned.checkpoints).toBeGreaterThan(30);
    // Thread "a" keeps 1 of its ~20 messages; "b" keeps all of its own.
    expect(pruned.messages).toBeGreaterThanOrEqual(18);
    const [a] = values(await collect(graph.getStateHistory(config("a"))));
    expect((a as { messages: BaseMessage[] }).messages).toStrictEqual([first]);
    const b = await collect(saver.list(config("b")));
    expect(b).toHaveLength(1);
    expect((b[0].checkpoint.channel_values.messages as BaseMessage[]).length).toBe(20);
  });

  it("keeps the ancestors a delta channel is rebuilt from", async () => {
    const saver = saverAt(dbPath());
    const memory = new MemorySaver();
    for (const s of [saver, memory]) await chat(s, 40, true).invoke(hello("d"), config("d"));
    const expected = (await chat(saver, 40, true).getState(config("d"))).values;
    const all = await collect(saver.list(config("d")));
    const pruned = await saver.prune({ threadId: "d", keepLast: 1 });
    // The kept head stores no list of its own: its ancestors back to the last stored one stay.
    const kept: CheckpointTuple[] = await collect(saver.list(config("d")));
    expect(kept.length).toBeGreaterThan(30);
    expect(kept.length + pruned.checkpoints).toBe(all.length);
    expect((await chat(saver, 40, true).getState(config("d"))).values).toStrictEqual(expected);
    // And the thread goes on.
    for (const s of [saver, memory]) await chat(s, 50, true).invoke(hello("more"), config("d"));
    expect((await chat(saver, 50, true).getState(config("d"))).values).toStrictEqual(
      (await chat(memory, 50, true).getState(config("d"))).values,
    );
  });

  it("refuses a keepLast that is not a whole number from 1, and calls after close", async () => {
    const saver = new RustSqliteSaver();
    for (const keepLast of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "3" as never, undefined as never]) {
      const err = await saver.prune({ keepLast }).catch((e: unknown) => e);
      expect(err, String(keepLast)).toBeInstanceOf(FastLangGraphError);
      expect((err as FastLangGraphError).code).toBe("FLG_INVALID_ARGUMENT");
    }
    expect(await saver.prune({ keepLast: 2 })).toEqual({ checkpoints: 0, writes: 0, blobs: 0, messages: 0 });
    await saver.close();
    await expect(saver.prune({ keepLast: 1 })).rejects.toMatchObject({ code: "FLG_CLOSED" });
  });
});
