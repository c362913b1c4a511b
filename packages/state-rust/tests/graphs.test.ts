import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { RustSqliteSaver } from "@fast-langgraph/checkpoint-rust";
import { AIMessage, HumanMessage, RemoveMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import {
  Annotation,
  END,
  MessagesValue as OfficialMessagesValue,
  StateSchema,
  MemorySaver,
  MessagesAnnotation as OfficialMessagesAnnotation,
  REMOVE_ALL_MESSAGES,
  START,
  StateGraph,
  type BaseCheckpointSaver,
} from "@langchain/langgraph";
import { afterAll, describe, expect, it } from "vitest";

import {
  MessagesAnnotation,
  MessagesValue,
  appendReducer,
  deepMergeReducer,
  setUnionReducer,
  sumReducer,
} from "../src/index.js";
import { normalize } from "./random-messages.js";

const dir = mkdtempSync(join(tmpdir(), "flg-state-graphs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Annotation = typeof OfficialMessagesAnnotation;

/**
 * An agent loop: the model calls a tool twice, then answers; a "tidy" node removes the tool round
 * trips once answered. Some messages carry ids, some do not.
 */
function agent(annotation: Annotation, checkpointer: BaseCheckpointSaver) {
  let turn = 0;
  return new StateGraph(annotation)
    .addNode("model", (s) => {
      turn++;
      const calls = s.messages.filter((m) => m instanceof ToolMessage).length;
      if (calls < 2) {
        return {
          messages: [
            new AIMessage({
              content: "",
              id: `call-${turn}`,
              tool_calls: [{ id: `tc-${turn}`, name: "lookup", args: { q: calls } }],
            }),
          ],
        };
      }
      return { messages: [new AIMessage({ content: `answer after ${s.messages.length} messages` })] };
    })
    .addNode("tool", (s) => {
      const last = s.messages[s.messages.length - 1] as AIMessage;
      return { messages: [new ToolMessage({ content: "found", tool_call_id: last.tool_calls![0].id! })] };
    })
    .addNode("tidy", (s) => ({
      messages: s.messages.filter((m) => m instanceof ToolMessage).map((m) => new RemoveMessage({ id: m.id! })),
    }))
    .addEdge(START, "model")
    .addConditionalEdges("model", (s) =>
      (s.messages[s.messages.length - 1] as AIMessage).tool_calls?.length ? "tool" : "tidy",
    )
    .addEdge("tool", "model")
    .addEdge("tidy", END)
    .compile({ checkpointer });
}

/** Three turns, a state update, a fork from an earlier checkpoint and a reset: the thread's history, as data. */
async function history(annotation: Annotation, checkpointer: BaseCheckpointSaver) {
  const graph = agent(annotation, checkpointer);
  const config = { configurable: { thread_id: "t" } };
  await graph.invoke({ messages: [new HumanMessage({ content: "first", id: "h1" })] }, config);
  await graph.invoke({ messages: [{ role: "user", content: "second" }] }, config);
  await graph.updateState(config, { messages: [new AIMessage({ content: "edited", id: "call-1" })] });
  const states: { values: { messages: BaseMessage[] } }[] = [];
  for await (const s of graph.getStateHistory(config)) states.push(s as never);
  // Time travel: a new turn from the state after the first one.
  const fork = states.find((s) => s.values.messages.length === 2)!;
  await graph.invoke(
    { messages: [new HumanMessage({ content: "fork", id: "h3" })] },
    (fork as never as { config: object }).config,
  );
  await graph.invoke({ messages: [new RemoveMessage({ id: REMOVE_ALL_MESSAGES }), "after reset"] }, config);
  const all = [];
  for await (const s of graph.getStateHistory(config)) {
    all.push({ messages: normalize(s.values.messages), next: s.next, step: s.metadata?.step });
  }
  return all;
}

describe("MessagesAnnotation with messagesReducer in real graphs", () => {
  it.each([
    ["MemorySaver", () => new MemorySaver()],
    ["RustSqliteSaver on a file", () => new RustSqliteSaver({ path: join(dir, `${Math.random()}.db`) })],
  ])("gives the same state history as the official one, with %s", async (_name, saver) => {
    const official = await history(OfficialMessagesAnnotation, saver());
    const ours = await history(MessagesAnnotation as unknown as Annotation, saver());
    expect(official.length).toBeGreaterThan(20);
    expect(ours).toEqual(official);
  });
});

describe("the other reducers in a real graph", () => {
  it("append, deep merge, set union and sum survive checkpoints in RustSqliteSaver", async () => {
    const State = Annotation.Root({
      log: Annotation<string[], string | string[]>({ reducer: appendReducer, default: () => [] }),
      config: Annotation<Record<string, unknown>>({ reducer: deepMergeReducer, default: () => ({}) }),
      tags: Annotation<Set<string>, string[]>({ reducer: setUnionReducer, default: () => new Set() }),
      total: Annotation<number>({ reducer: sumReducer, default: () => 0 }),
    });
    const saver = new RustSqliteSaver({ path: join(dir, "reducers.db") });
    const graph = new StateGraph(State)
      .addNode("a", () => ({ log: "a", config: { model: { name: "m", temperature: 0 } }, tags: ["x"], total: 2 }))
      .addNode("b", () => ({ log: ["b1", "b2"], config: { model: { temperature: 1 } }, tags: ["x", "y"], total: 3 }))
      .addEdge(START, "a")
      .addEdge("a", "b")
      .addEdge("b", END)
      .compile({ checkpointer: saver });
    const config = { configurable: { thread_id: "r" } };
    await graph.invoke({ log: ["start"] }, config);
    await graph.invoke({ total: 10 }, config);
    const state = (await graph.getState(config)).values;
    expect(state).toEqual({
      log: ["start", "a", "b1", "b2", "a", "b1", "b2"],
      config: { model: { name: "m", temperature: 1 } },
      tags: new Set(["x", "y"]),
      total: 20,
    });
    await saver.close();
  });

  it("MessagesValue works in a StateSchema graph as the official one does", async () => {
    const run = async (messages: typeof OfficialMessagesValue) => {
      const graph = new StateGraph(new StateSchema({ messages }))
        .addNode("reply", (s) => ({
          messages: [new AIMessage({ content: `seen ${s.messages.length}`, id: `r${s.messages.length}` })],
        }))
        .addEdge(START, "reply")
        .addEdge("reply", END)
        .compile({ checkpointer: new MemorySaver() });
      const config = { configurable: { thread_id: "s" } };
      await graph.invoke({ messages: [new HumanMessage({ content: "hi", id: "h" })] }, config);
      const out = await graph.invoke({ messages: [{ role: "user", content: "again", id: "h2" }] }, config);
      return normalize(out.messages);
    };
    expect(await run(MessagesValue as typeof OfficialMessagesValue)).toEqual(await run(OfficialMessagesValue));
  });
});
