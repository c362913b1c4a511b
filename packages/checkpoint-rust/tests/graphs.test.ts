import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { AIMessage, HumanMessage, RemoveMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import {
  Annotation,
  Command,
  END,
  MemorySaver,
  MessagesAnnotation,
  START,
  Send,
  StateGraph,
  interrupt,
  type StateSnapshot,
} from "@langchain/langgraph";
import type { BaseCheckpointSaver, CheckpointTuple } from "@langchain/langgraph-checkpoint";

import { tempSavers } from "./fixtures/temp-savers.js";

// Real graphs run against RustSqliteSaver on a real file; where it is cheap, the same graph also runs on
// the official MemorySaver and both must agree, so we test LangGraph semantics, not our own guesses.

const { dir, saverAt: fileSaver } = tempSavers("graphs");

const thread = (id: string) => ({ configurable: { thread_id: id } });

async function collect<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iter) out.push(item);
  return out;
}

/** What two savers must agree on: ids and timestamps differ, the rest must not. */
function historyShape(history: StateSnapshot[]) {
  return history.map((s) => ({
    values: s.values,
    next: s.next,
    step: s.metadata?.step,
    source: s.metadata?.source,
  }));
}

describe("interrupt and resume", () => {
  const State = Annotation.Root({
    topic: Annotation<string>,
    approved: Annotation<boolean>,
    log: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  });

  function build(checkpointer: BaseCheckpointSaver) {
    return new StateGraph(State)
      .addNode("draft", (s) => ({ log: [`draft:${s.topic}`] }))
      .addNode("review", (s) => {
        const answer = interrupt({ question: `publish ${s.topic}?` });
        return { approved: answer === "yes", log: [`review:${answer}`] };
      })
      .addNode("publish", (s) => ({ log: [`publish:${s.approved}`] }))
      .addEdge(START, "draft")
      .addEdge("draft", "review")
      .addEdge("review", "publish")
      .addEdge("publish", END)
      .compile({ checkpointer });
  }

  async function run(checkpointer: BaseCheckpointSaver) {
    const graph = build(checkpointer);
    const config = thread("approval");
    const paused = await graph.invoke({ topic: "rust" }, config);
    const pausedState = await graph.getState(config);
    const final = await graph.invoke(new Command({ resume: "yes" }), config);
    const finalState = await graph.getState(config);
    const history = await collect(graph.getStateHistory(config));
    return { paused, pausedState, final, finalState, history };
  }

  it("pauses at interrupt(), exposes it in getState, and resumes with Command", async () => {
    const rust = await run(fileSaver());

    // The run stopped inside "review": its interrupt value is reported, "publish" never ran.
    const reported = (rust.paused as { __interrupt__?: { value: unknown }[] }).__interrupt__;
    expect(reported?.map((i) => i.value)).toEqual([{ question: "publish rust?" }]);
    expect(rust.paused.log).toEqual(["draft:rust"]);
    expect(rust.pausedState.next).toEqual(["review"]);
    expect(rust.pausedState.tasks).toHaveLength(1);
    expect(rust.pausedState.tasks[0].name).toBe("review");
    expect(rust.pausedState.tasks[0].interrupts.map((i) => i.value)).toEqual([{ question: "publish rust?" }]);

    // Resumed: "review" re-ran with the answer, then "publish".
    expect(rust.final).toEqual({ topic: "rust", approved: true, log: ["draft:rust", "review:yes", "publish:true"] });
    expect(rust.finalState.next).toEqual([]);
    expect(rust.finalState.tasks).toEqual([]);

    const memory = await run(new MemorySaver());
    expect(rust.final).toEqual(memory.final);
    expect(historyShape(rust.history)).toEqual(historyShape(memory.history));
  });
});

describe("Send fan-out with a failing branch", () => {
  const State = Annotation.Root({
    items: Annotation<string[]>,
    item: Annotation<string>,
    results: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  });

  async function run(checkpointer: BaseCheckpointSaver) {
    const calls: Record<string, number> = {};
    let failing = true;
    const graph = new StateGraph(State)
      // No retryPolicy: a throw fails the step at once.
      .addNode("work", async (s) => {
        calls[s.item] = (calls[s.item] ?? 0) + 1;
        if (s.item === "bad" && failing) {
          // Fail after the other branches finished, so the runner's abort cannot cut them short.
          await new Promise((r) => setTimeout(r, 30));
          throw new Error("branch bad failed");
        }
        return { results: [`done:${s.item}`] };
      })
      .addConditionalEdges(START, (s) => s.items.map((item) => new Send("work", { item })))
      .addEdge("work", END)
      .compile({ checkpointer });

    const config = thread("fanout");
    const error = await graph.invoke({ items: ["a", "bad", "c"] }, config).then(
      () => undefined,
      (e: Error) => e,
    );
    const afterFailure = (await checkpointer.getTuple(config)) as CheckpointTuple;
    const callsAfterFailure = { ...calls };

    failing = false;
    const final = await graph.invoke(null, config);
    return { error, afterFailure, callsAfterFailure, calls, final };
  }

  it("keeps the successful branches' writes and does not re-run them", async () => {
    const rust = await run(fileSaver());

    expect(rust.error?.message).toBe("branch bad failed");
    expect(rust.callsAfterFailure).toEqual({ a: 1, bad: 1, c: 1 });

    // The successful branches' writes were saved as pending writes of the checkpoint, next to the error.
    const writes = rust.afterFailure.pendingWrites ?? [];
    const results = writes.filter(([, channel]) => channel === "results").map(([, , value]) => value);
    expect(results.sort()).toEqual([["done:a"], ["done:c"]]);
    expect(writes.filter(([, channel]) => channel === "__error__")).toHaveLength(1);
    // Nothing was committed to the state yet.
    expect(rust.afterFailure.checkpoint.channel_values.results ?? []).toEqual([]);

    // Resuming ran only the failed branch again.
    expect(rust.calls).toEqual({ a: 1, bad: 2, c: 1 });
    expect([...rust.final.results].sort()).toEqual(["done:a", "done:bad", "done:c"]);

    const memory = await run(new MemorySaver());
    expect(rust.calls).toEqual(memory.calls);
    expect([...rust.final.results].sort()).toEqual([...memory.final.results].sort());
  });
});

describe("subgraph", () => {
  // Parent and child share one schema without reducers, so the child's output replaces, not appends.
  const State = Annotation.Root({ text: Annotation<string>, trail: Annotation<string[]> });

  function build(checkpointer: BaseCheckpointSaver) {
    const inner = new StateGraph(State)
      .addNode("upper", (s) => ({ text: s.text.toUpperCase(), trail: [...s.trail, "upper"] }))
      .addNode("confirm", (s) => {
        const answer = interrupt(`confirm ${s.text}`);
        return { trail: [...s.trail, `confirm:${answer}`] };
      })
      .addNode("exclaim", (s) => ({ text: `${s.text}!`, trail: [...s.trail, "exclaim"] }))
      .addEdge(START, "upper")
      .addEdge("upper", "confirm")
      .addEdge("confirm", "exclaim")
      .addEdge("exclaim", END)
      .compile();
    return new StateGraph(State)
      .addNode("prep", (s) => ({ trail: [...s.trail, "prep"] }))
      .addNode("inner", inner)
      .addEdge(START, "prep")
      .addEdge("prep", "inner")
      .addEdge("inner", END)
      .compile({ checkpointer });
  }

  async function run(checkpointer: BaseCheckpointSaver) {
    const graph = build(checkpointer);
    const config = thread("sub");
    await graph.invoke({ text: "hi", trail: [] }, config);
    const paused = await graph.getState(config, { subgraphs: true });
    const final = await graph.invoke(new Command({ resume: "ok" }), config);
    return { paused, final };
  }

  it("persists the subgraph's checkpoints under its own checkpoint_ns", async () => {
    const saver = fileSaver();
    const rust = await run(saver);

    // Paused inside the subgraph: the parent waits on "inner", whose own state is reachable.
    expect(rust.paused.next).toEqual(["inner"]);
    expect(rust.paused.values).toEqual({ text: "hi", trail: ["prep"] });
    const task = rust.paused.tasks.find((t) => t.name === "inner");
    const sub = task?.state as StateSnapshot;
    expect(sub.values).toEqual({ text: "HI", trail: ["prep", "upper"] });
    expect(sub.next).toEqual(["confirm"]);
    expect(sub.tasks[0].interrupts.map((i) => i.value)).toEqual(["confirm HI"]);
    expect(sub.config.configurable?.checkpoint_ns).toMatch(/^inner:/);

    expect(rust.final).toEqual({ text: "HI!", trail: ["prep", "upper", "confirm:ok", "exclaim"] });

    // Without checkpoint_ns, list spans every namespace of the thread: root and subgraph alike.
    const tuples = await collect(saver.list(thread("sub")));
    const namespaces = new Set(tuples.map((t) => t.config.configurable?.checkpoint_ns));
    expect(namespaces.has("")).toBe(true);
    const subNs = [...namespaces].filter((ns) => ns.startsWith("inner:"));
    expect(subNs.length).toBeGreaterThan(0);
    // And each namespace reads back on its own.
    const subTuples = await collect(saver.list({ configurable: { thread_id: "sub", checkpoint_ns: subNs[0] } }));
    expect(subTuples.length).toBeGreaterThan(0);
    expect(subTuples.every((t) => t.config.configurable?.checkpoint_ns === subNs[0])).toBe(true);

    const memory = await run(new MemorySaver());
    expect(rust.final).toEqual(memory.final);
    const memorySub = memory.paused.tasks.find((t) => t.name === "inner")?.state as StateSnapshot;
    expect(sub.values).toEqual(memorySub.values);
  });
});

describe("time travel", () => {
  const State = Annotation.Root({
    value: Annotation<number>,
    trail: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  });

  function build(checkpointer: BaseCheckpointSaver) {
    return new StateGraph(State)
      .addNode("add", (s) => ({ value: s.value + 1, trail: ["add"] }))
      .addNode("times", (s) => ({ value: s.value * 10, trail: ["times"] }))
      .addNode("plus", (s) => ({ value: s.value + 3, trail: ["plus"] }))
      .addEdge(START, "add")
      .addEdge("add", "times")
      .addEdge("times", "plus")
      .addEdge("plus", END)
      .compile({ checkpointer });
  }

  async function run(checkpointer: BaseCheckpointSaver) {
    const graph = build(checkpointer);
    const config = thread("travel");
    const first = await graph.invoke({ value: 1 }, config);
    const original = await collect(graph.getStateHistory(config));

    // Fork from the checkpoint taken after "add", before "times".
    const forkPoint = original.find((s) => s.next.includes("times")) as StateSnapshot;
    const forkConfig = await graph.updateState(forkPoint.config, { value: 5 });
    const forked = await graph.invoke(null, forkConfig);

    const after = await collect(graph.getStateHistory(config));
    // Re-read every original checkpoint by its own config.
    const reread = await Promise.all(original.map((s) => graph.getState(s.config)));
    return { graph, first, original, forkPoint, forkConfig, forked, after, reread };
  }

  it("forks from an earlier checkpoint and leaves the original history intact", async () => {
    const rust = await run(fileSaver());

    expect(rust.first).toEqual({ value: 23, trail: ["add", "times", "plus"] });
    expect(rust.forkPoint.values).toEqual({ value: 2, trail: ["add"] });
    // The fork replays only what follows the fork point, from the edited value.
    expect(rust.forked).toEqual({ value: 53, trail: ["add", "times", "plus"] });

    // The fork's first checkpoint hangs off the chosen one.
    const forkState = await rust.graph.getState(rust.forkConfig);
    expect(forkState.values).toEqual({ value: 5, trail: ["add"] });
    expect(forkState.parentConfig?.configurable?.checkpoint_id).toBe(rust.forkPoint.config.configurable?.checkpoint_id);
    // The thread's head is now the fork's end.
    expect(rust.after[0].values).toEqual({ value: 53, trail: ["add", "times", "plus"] });

    // Every original checkpoint is still there, unchanged.
    const originalIds = rust.original.map((s) => s.config.configurable?.checkpoint_id);
    const afterIds = rust.after.map((s) => s.config.configurable?.checkpoint_id);
    expect(afterIds).toEqual(expect.arrayContaining(originalIds));
    expect(rust.after.length).toBe(rust.original.length + 3); // update + "times" + "plus"
    expect(rust.reread.map((s) => s.values)).toEqual(rust.original.map((s) => s.values));
    expect(rust.reread.map((s) => s.next)).toEqual(rust.original.map((s) => s.next));

    const memory = await run(new MemorySaver());
    expect(historyShape(rust.after)).toEqual(historyShape(memory.after));
  });
});

describe("persistence across saver instances", () => {
  function build(checkpointer: BaseCheckpointSaver) {
    return new StateGraph(MessagesAnnotation)
      .addNode("bot", (s) => {
        const last = s.messages[s.messages.length - 1];
        return { messages: [new AIMessage({ content: `echo: ${last.content}`, name: "bot" })] };
      })
      .addEdge(START, "bot")
      .addEdge("bot", END)
      .compile({ checkpointer });
  }

  it("reads back the same state, with LangChain message classes, from a reopened file", async () => {
    const path = join(dir, "reopen.db");
    const config = thread("chat");

    const first = fileSaver(path);
    const graph = build(first);
    await graph.invoke({ messages: [new HumanMessage("hello")] }, config);
    await graph.invoke({ messages: [new HumanMessage({ content: "again", additional_kwargs: { tag: 7 } })] }, config);
    const before = await graph.getState(config);
    const historyBefore = await collect(graph.getStateHistory(config));
    await first.close();

    const second = fileSaver(path);
    const reopened = build(second);
    const after = await reopened.getState(config);
    const messages = after.values.messages as BaseMessage[];

    expect(messages.map((m) => m.constructor)).toEqual([HumanMessage, AIMessage, HumanMessage, AIMessage]);
    expect(messages[0]).toBeInstanceOf(HumanMessage);
    expect(messages[1]).toBeInstanceOf(AIMessage);
    expect(messages.map((m) => m.content)).toEqual(["hello", "echo: hello", "again", "echo: again"]);
    expect(messages.map((m) => m.id)).toEqual((before.values.messages as BaseMessage[]).map((m) => m.id));
    expect(messages[1].name).toBe("bot");
    expect(messages[2].additional_kwargs).toEqual({ tag: 7 });
    expect(after.config.configurable?.checkpoint_id).toBe(before.config.configurable?.checkpoint_id);

    const historyAfter = await collect(reopened.getStateHistory(config));
    expect(historyShape(historyAfter)).toEqual(historyShape(historyBefore));

    // The reopened thread carries on where it stopped.
    const next = await reopened.invoke({ messages: [new HumanMessage("third")] }, config);
    expect(next.messages.map((m) => m.content)).toEqual([
      "hello",
      "echo: hello",
      "again",
      "echo: again",
      "third",
      "echo: third",
    ]);
  });
});

describe("a growing conversation", () => {
  // Each message is serialized once and then reused while it is unchanged; the history must still be
  // exactly MemorySaver's through replacements by id, removals and a fork.
  function build(checkpointer: BaseCheckpointSaver) {
    return new StateGraph(MessagesAnnotation)
      .addNode("agent", (s) => {
        const n = s.messages.length;
        if (n === 7 && !s.messages.some((m) => m.content === "rewritten")) {
          // Replace one message by id and remove another.
          const [first, second] = s.messages;
          return {
            messages: [
              new AIMessage({ content: "rewritten", id: first.id }),
              new RemoveMessage({ id: second.id! }),
              new AIMessage({ content: `after edit ${n}`, id: `e-${n}` }),
            ],
          };
        }
        return {
          messages: [
            new AIMessage({
              content: `step ${n}`,
              id: `a-${n}`,
              tool_calls: [{ id: `call-${n}`, name: "search", args: { q: n } }],
            }),
          ],
        };
      })
      .addNode("tools", (s) => {
        const call = (s.messages[s.messages.length - 1] as AIMessage).tool_calls![0];
        return {
          messages: [
            new ToolMessage({ content: `result ${call.args.q}`, tool_call_id: call.id!, id: `t-${call.args.q}` }),
          ],
        };
      })
      .addEdge(START, "agent")
      .addConditionalEdges("agent", (s) => {
        const last = s.messages[s.messages.length - 1] as AIMessage;
        if (s.messages.length >= 14) return END;
        return last.tool_calls?.length ? "tools" : "agent";
      })
      .addEdge("tools", "agent")
      .compile({ checkpointer });
  }

  async function run(checkpointer: BaseCheckpointSaver) {
    const graph = build(checkpointer);
    const config = thread("conversation");
    await graph.invoke({ messages: [new HumanMessage({ content: "start", id: "h0" })] }, config);
    const history = await collect(graph.getStateHistory(config));
    // Fork from the middle and carry on.
    const forkConfig = await graph.updateState(history[5].config, {
      messages: [new HumanMessage({ content: "forked", id: "fork" })],
    });
    await graph.invoke(null, forkConfig);
    return collect(graph.getStateHistory(config));
  }

  it("reads back exactly what MemorySaver reads back", async () => {
    const rust = await run(fileSaver());
    const memory = await run(new MemorySaver());
    expect(rust.length).toBe(memory.length);
    expect(JSON.stringify(historyShape(rust))).toBe(JSON.stringify(historyShape(memory)));
    expect(historyShape(rust)).toStrictEqual(historyShape(memory));
    const rewritten = rust.find((s) => (s.values.messages as BaseMessage[]).some((m) => m.content === "rewritten"));
    expect(rewritten).toBeDefined();
  });
});

describe("a graph whose nodes never yield to the event loop", () => {
  // LangGraph starts each checkpoint's put only once the previous one resolved. Nodes that await
  // nothing keep the event loop from turning until the run ends, so a put that finished on the
  // store's thread must still be settled during the run, or every put but the first waits for its end.
  it("has its checkpoints committed while it runs, not all after its last step", async () => {
    const saver = fileSaver();
    const resolvedAt: number[] = [];
    const put = saver.put.bind(saver);
    saver.put = (...args) => put(...args).then((config) => (resolvedAt.push(performance.now()), config));
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    let lastStep = 0;
    const graph = new StateGraph(
      Annotation.Root({ n: Annotation<number>({ reducer: (a, b) => a + b, default: () => 0 }) }),
    )
      .addNode("work", () => {
        busy(2);
        lastStep = performance.now();
        return { n: 1 };
      })
      .addEdge(START, "work")
      .addConditionalEdges("work", (s) => (s.n >= 40 ? END : "work"))
      .compile({ checkpointer: saver });
    const out = await graph.invoke({ n: 0 }, { ...thread("busy"), recursionLimit: 100 });
    expect(out.n).toBe(40);
    expect(resolvedAt.length).toBe(42);
    // Most puts resolved before the last step ran.
    expect(resolvedAt.filter((t) => t < lastStep).length).toBeGreaterThan(30);
    await saver.close();
  });
});
