/**
 * RustSqliteSaver against the official savers, on the same work in one process.
 *
 *   pnpm --filter @fast-langgraph/checkpoint-rust bench      (or `pnpm bench` at the root)
 *
 * Every saver on disk gets its own file: two SQLite copies in one process must never share one.
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import { Annotation, END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { uuid6, type BaseCheckpointSaver, type Checkpoint } from "@langchain/langgraph-checkpoint";

import { collectGarbage, diskBytes, fmt, make, mb, median, ratio, run, type Kind } from "./common.js";

const SAVERS: Kind[] = ["none", "MemorySaver", "SqliteSaver", "RustSqliteSaver"];

/**
 * Event-loop stalls while `fn` runs: a 1 ms interval timer records how late each tick comes.
 * A run that never yields to the event loop is one stall as long as the run.
 */
async function withStalls<T>(fn: () => Promise<T>): Promise<{ result: T; p95: number; max: number }> {
  const stalls: number[] = [];
  let last = performance.now();
  const tick = () => {
    const now = performance.now();
    stalls.push(Math.max(0, now - last - 1));
    last = now;
  };
  const timer = setInterval(tick, 1);
  const result = await fn();
  clearInterval(timer);
  tick();
  stalls.sort((a, b) => a - b);
  return { result, p95: stalls[Math.floor((stalls.length - 1) * 0.95)], max: stalls[stalls.length - 1] };
}

// ---------------------------------------------------------------------------------------------
// Operations: put, getTuple, list at three state sizes, of plain data and of LangChain messages.

/** A state of about `bytes` bytes of JSON, shaped like a message list. */
function stateOfSize(bytes: number) {
  const items = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const text = `message ${i} `.padEnd(200, "lorem ipsum dolor sit amet ");
    items.push({ role: i % 2 ? "assistant" : "user", content: text, id: `m-${i}` });
    size += text.length + 40;
  }
  return items;
}

/** A conversation of about `bytes` bytes of JSON: questions, tool calls and tool results. */
function messagesOfSize(bytes: number) {
  const messages = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const text = `turn ${i} `.padEnd(200, "lorem ipsum dolor sit amet ");
    messages.push(
      new HumanMessage({ content: text, id: `h-${i}` }),
      new AIMessage({ content: text, id: `a-${i}`, tool_calls: [{ id: `c-${i}`, name: "search", args: { q: i } }] }),
      new ToolMessage({ content: text, tool_call_id: `c-${i}`, id: `t-${i}` }),
    );
    size += 3 * (text.length + 150);
  }
  return messages;
}

function makeCheckpoint(values: unknown, step: number): Checkpoint {
  return {
    v: 4,
    id: uuid6(step),
    ts: new Date().toISOString(),
    channel_values: { messages: values, step },
    channel_versions: { messages: step + 1, step: step + 1 },
    versions_seen: { agent: { messages: step } },
  };
}

interface OpResult {
  op: string;
  size: string;
  /** Wall time per call, awaited one after another. */
  latencyUs: Partial<Record<Kind, number>>;
  /** Time per call during which the event loop was busy: what a call takes from everything else. */
  loopUs: Partial<Record<Kind, number>>;
}

async function timed(iterations: number, body: (i: number) => Promise<void>) {
  const warm = Math.max(3, iterations >> 3);
  for (let i = 0; i < warm; i++) await body(i);
  const elu = performance.eventLoopUtilization();
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) await body(warm + i);
  const elapsed = performance.now() - t0;
  const busy = performance.eventLoopUtilization(elu).active;
  return { latencyUs: (elapsed * 1000) / iterations, loopUs: (busy * 1000) / iterations };
}

/**
 * Every saver in turn, `rounds` times after a warm-up round; each figure is the median of its rounds,
 * so that drift on a shared machine does not favour whichever saver ran at a quiet moment.
 */
async function measureOps(label: string, values: unknown[], iterations: number, rounds = 5): Promise<OpResult[]> {
  const ops = ["put", "getTuple", "list (10 checkpoints)"];
  const samples = ops.map(() => new Map<Kind, { latency: number[]; loop: number[] }>());
  const record = (index: number, kind: Kind, t: { latencyUs: number; loopUs: number }) => {
    const s = samples[index].get(kind) ?? { latency: [], loop: [] };
    s.latency.push(t.latencyUs);
    s.loop.push(t.loopUs);
    samples[index].set(kind, s);
  };
  const putChain = async (saver: BaseCheckpointSaver, i: number, config: RunnableConfig) => {
    const cp = makeCheckpoint(values, i);
    return saver.put(config, cp, { source: "loop", step: i, parents: {} }, cp.channel_versions);
  };
  for (let round = 0; round <= rounds; round++) {
    for (const kind of SAVERS.filter((k) => k !== "none")) {
      collectGarbage();
      const made = await make(kind);
      const saver = made.saver!;
      const keep = round === 0 ? () => {} : record;
      // put: a chain of checkpoints, every channel new each time.
      let config: RunnableConfig = { configurable: { thread_id: `ops-${label}`, checkpoint_ns: "" } };
      keep(
        0,
        kind,
        await timed(iterations, async (i) => {
          config = await putChain(saver, i, config);
        }),
      );
      keep(
        1,
        kind,
        await timed(iterations, async () => {
          if (!(await saver.getTuple(config))) throw new Error("missing tuple");
        }),
      );
      // list: a thread of exactly 10 checkpoints, read whole each time.
      let listConfig: RunnableConfig = { configurable: { thread_id: `list-${label}`, checkpoint_ns: "" } };
      for (let i = 0; i < 10; i++) listConfig = await putChain(saver, i, listConfig);
      keep(
        2,
        kind,
        await timed(Math.max(3, iterations >> 2), async () => {
          let n = 0;
          for await (const _ of saver.list({ configurable: { thread_id: `list-${label}` } })) n++;
          if (n !== 10) throw new Error(`listed ${n}`);
        }),
      );
      await made.close();
    }
  }
  return ops.map((op, index): OpResult => {
    const result: OpResult = { op, size: label, latencyUs: {}, loopUs: {} };
    for (const [kind, s] of samples[index]) {
      result.latencyUs[kind] = median(s.latency);
      result.loopUs[kind] = median(s.loop);
    }
    return result;
  });
}

// ---------------------------------------------------------------------------------------------
// Graphs.

interface GraphResult {
  workload: string;
  ms: Partial<Record<Kind, number>>;
  overheadMs: Partial<Record<Kind, number>>;
  dbBytes: Partial<Record<Kind, number>>;
  stallP95: Partial<Record<Kind, number>>;
  stallMax: Partial<Record<Kind, number>>;
}

/**
 * Runs the workload on every saver, interleaved, `rounds` times after one warm-up round, and
 * reports medians. Overhead is measured within a round (saver minus no checkpointer), so drift
 * between rounds cancels out. The database is measured after close, once SQLite has folded the WAL in.
 */
async function runGraph(
  workload: string,
  body: (saver: BaseCheckpointSaver | undefined) => Promise<void>,
  rounds = 7,
): Promise<GraphResult> {
  const samples = new Map<Kind, { ms: number[]; overhead: number[]; db: number[]; p95: number[]; max: number[] }>();
  for (const kind of SAVERS) samples.set(kind, { ms: [], overhead: [], db: [], p95: [], max: [] });
  for (let round = 0; round <= rounds; round++) {
    let noneMs = 0;
    for (const kind of SAVERS) {
      collectGarbage();
      const made = await make(kind);
      const t0 = performance.now();
      const { p95, max } = await withStalls(() => body(made.saver));
      const ms = performance.now() - t0;
      await made.close();
      if (kind === "none") noneMs = ms;
      if (round === 0) continue;
      const s = samples.get(kind)!;
      s.ms.push(ms);
      s.overhead.push(Math.max(0, ms - noneMs));
      s.db.push(diskBytes(made.files));
      s.p95.push(p95);
      s.max.push(max);
    }
  }
  const r: GraphResult = { workload, ms: {}, overheadMs: {}, dbBytes: {}, stallP95: {}, stallMax: {} };
  for (const [kind, s] of samples) {
    r.ms[kind] = median(s.ms);
    r.overheadMs[kind] = median(s.overhead);
    r.dbBytes[kind] = median(s.db);
    r.stallP95[kind] = median(s.p95);
    r.stallMax[kind] = median(s.max);
  }
  return r;
}

/** Agent and tools alternate, appending one message each step, for `steps` supersteps. */
function agentLoop(steps: number) {
  const agent = async (state: typeof MessagesAnnotation.State) => {
    const n = state.messages.length;
    return {
      messages: [
        new AIMessage({
          content: `Thinking about step ${n}. `.repeat(8),
          tool_calls: [{ id: `call-${n}`, name: "search", args: { query: `q${n}` } }],
        }),
      ],
    };
  };
  const tools = async (state: typeof MessagesAnnotation.State) => {
    const last = state.messages[state.messages.length - 1] as AIMessage;
    const call = last.tool_calls![0];
    return {
      messages: [new ToolMessage({ content: `Result for ${call.args.query}. `.repeat(8), tool_call_id: call.id! })],
    };
  };
  const graph = new StateGraph(MessagesAnnotation)
    .addNode("agent", agent)
    .addNode("tools", tools)
    .addEdge(START, "agent")
    .addConditionalEdges("agent", (s) => (s.messages.length >= steps ? END : "tools"))
    .addEdge("tools", "agent");
  return graph;
}

async function agentLoopWorkload(steps: number) {
  return runGraph(`${steps}-step agent loop (MessagesAnnotation)`, async (saver) => {
    const app = agentLoop(steps).compile({ checkpointer: saver });
    const out = await app.invoke(
      { messages: [new HumanMessage("Research the history of SQLite.")] },
      { configurable: { thread_id: "agent" }, recursionLimit: steps + 10 },
    );
    if (out.messages.length < steps) throw new Error("loop ended early");
  });
}

const DocState = Annotation.Root({
  doc: Annotation<string>,
  step: Annotation<number>,
});

async function bigDocWorkload(steps: number) {
  const doc = "lorem ipsum dolor sit amet, ".repeat(Math.ceil((1 << 20) / 28)).slice(0, 1 << 20);
  return runGraph(`${steps}-step graph carrying an unchanged 1 MB document`, async (saver) => {
    const graph = new StateGraph(DocState)
      .addNode("work", async (s) => ({ step: s.step + 1 }))
      .addEdge(START, "work")
      .addConditionalEdges("work", (s) => (s.step >= steps ? END : "work"))
      .compile({ checkpointer: saver });
    const out = await graph.invoke(
      { doc, step: 0 },
      { configurable: { thread_id: "doc" }, recursionLimit: steps + 10 },
    );
    if (out.step !== steps || out.doc.length !== doc.length) throw new Error("bad result");
  });
}

async function concurrentThreadsWorkload(threads: number, steps: number, ioMs: number) {
  return runGraph(
    `${threads} concurrent threads, ${steps} steps each, nodes await ${ioMs} ms of I/O`,
    async (saver) => {
      // The node waits on simulated I/O (an LLM or API call).
      const app = new StateGraph(MessagesAnnotation)
        .addNode("agent", async (s) => {
          await sleep(ioMs);
          return { messages: [new AIMessage({ content: `Step ${s.messages.length}. `.repeat(20) })] };
        })
        .addEdge(START, "agent")
        .addConditionalEdges("agent", (s) => (s.messages.length >= steps ? END : "agent"))
        .compile({ checkpointer: saver });
      await Promise.all(
        Array.from({ length: threads }, (_, i) =>
          app.invoke(
            { messages: [new HumanMessage(`Thread ${i}`)] },
            { configurable: { thread_id: `t-${i}` }, recursionLimit: steps + 10 },
          ),
        ),
      );
    },
    // Its overhead is the difference of two totals that move by ±20% on a shared machine: more rounds.
    15,
  );
}

// ---------------------------------------------------------------------------------------------
// Report.

async function main() {
  console.log(`node ${process.version}, ${new Date().toISOString()}\n`);
  const ops: OpResult[] = [];
  for (const [label, values, n] of [
    // Enough calls for each sample to last about half a second: shorter ones swung with the VM.
    ["1 KB", stateOfSize(1 << 10), 5000],
    ["100 KB", stateOfSize(100 << 10), 150],
    ["1 MB", stateOfSize(1 << 20), 20],
    // The same message objects in every put, as when a conversation is carried from step to step.
    ["100 KB of messages", messagesOfSize(100 << 10), 40],
    ["1 MB of messages", messagesOfSize(1 << 20), 8],
  ] as const) {
    ops.push(...(await measureOps(label, values, n)));
  }
  console.log("## Operations (µs per call, lower is better; median of 5 interleaved rounds after a warm-up round)\n");
  console.log(
    "Latency: calls awaited one after another. Event-loop time: how long each call kept the JS thread busy.\n",
  );
  console.log("| operation | state | measure | MemorySaver | SqliteSaver | RustSqliteSaver | SqliteSaver / Rust |");
  console.log("|---|---|---|---|---|---|---|");
  for (const o of ops) {
    for (const [measure, v] of [
      ["latency", o.latencyUs],
      ["event-loop time", o.loopUs],
    ] as const) {
      console.log(
        `| ${o.op} | ${o.size} | ${measure} | ${fmt(v.MemorySaver)} | ${fmt(v.SqliteSaver)} | ${fmt(v.RustSqliteSaver)} | ${ratio(v.SqliteSaver, v.RustSqliteSaver)} |`,
      );
    }
  }

  const graphs = [await agentLoopWorkload(200), await bigDocWorkload(100), await concurrentThreadsWorkload(50, 10, 20)];
  console.log("\n## Graphs (median of 7 interleaved rounds after a warm-up round; 15 for the concurrent threads)\n");
  console.log("| workload | measure | none | MemorySaver | SqliteSaver | RustSqliteSaver | SqliteSaver / Rust |");
  console.log("|---|---|---|---|---|---|---|");
  for (const g of graphs) {
    const row = (measure: string, v: Partial<Record<Kind, number>>, f: (n: number | undefined) => string) =>
      console.log(
        `| ${g.workload} | ${measure} | ${f(v.none)} | ${f(v.MemorySaver)} | ${f(v.SqliteSaver)} | ${f(v.RustSqliteSaver)} | ${ratio(v.SqliteSaver, v.RustSqliteSaver)} |`,
      );
    row("total ms", g.ms, (n) => fmt(n, 0));
    row("checkpoint overhead ms", g.overheadMs, (n) => fmt(n, 0));
    row("database on disk", g.dbBytes, (n) => (n ? mb(n) : "–"));
    row("event-loop stall p95 ms", g.stallP95, (n) => fmt(n, 2));
    row("event-loop stall max ms", g.stallMax, (n) => fmt(n, 2));
  }
}

run(main);
