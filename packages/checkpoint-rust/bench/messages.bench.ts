/**
 * A long conversation: a 500-step agent loop on plain `MessagesAnnotation`, against the official
 * savers and against the official `MessagesDeltaValue` (a delta channel) on the same savers, in one
 * process. Then `getStateHistory` over the 500 checkpoints it leaves.
 *
 *   pnpm --filter @fast-langgraph/checkpoint-rust bench      (or `pnpm bench` at the root)
 */
import { performance } from "node:perf_hooks";

import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import {
  END,
  MessagesAnnotation,
  MessagesDeltaValue,
  START,
  StateGraph,
  StateSchema,
  type BaseCheckpointSaver,
} from "@langchain/langgraph";

import {
  collectGarbage,
  diskBytes,
  fmt,
  make,
  mb,
  medianOf,
  ratio,
  run,
  timeStateHistory,
  type Kind,
} from "./common.js";

const STEPS = Number(process.env.FLG_BENCH_STEPS ?? 500);
const ROUNDS = Number(process.env.FLG_BENCH_ROUNDS ?? 7);
/** Reading 500 states back is slow on some savers (10 s): its figure takes the first rounds only. */
const HISTORY_ROUNDS = Math.min(ROUNDS, 3);
const DeltaState = new StateSchema({ messages: MessagesDeltaValue });

type Schema = "plain" | "delta";
interface Variant {
  schema: Schema;
  kind: Kind;
}
const KINDS: Kind[] = ["none", "NullSaver", "SqliteSaver", "RustSqliteSaver"];
const VARIANTS: Variant[] = (["plain", "delta"] as const).flatMap((schema) => KINDS.map((kind) => ({ schema, kind })));
const variant = (schema: Schema, kind: Kind) => VARIANTS.find((v) => v.schema === schema && v.kind === kind)!;
const label = (v: Variant) => `${v.schema === "plain" ? "MessagesAnnotation" : "MessagesDeltaValue"} on ${v.kind}`;

type Node = (state: { messages: unknown[] }) => Promise<{ messages: unknown[] }>;

/**
 * Agent and tools alternate, each adding one message of about 600 bytes per step; each node call
 * records when it started, so a step's cost is the time between two calls.
 */
function agentLoop(schema: Schema, saver: BaseCheckpointSaver | undefined, starts: number[]) {
  const agent: Node = async (state) => {
    starts.push(performance.now());
    const n = state.messages.length;
    return {
      messages: [
        new AIMessage({
          content: `Thinking about step ${n}, weighing what the last result said. `.repeat(9),
          tool_calls: [{ id: `call-${n}`, name: "search", args: { query: `q${n}` } }],
        }),
      ],
    };
  };
  const tools: Node = async (state) => {
    starts.push(performance.now());
    const last = state.messages[state.messages.length - 1] as AIMessage;
    const call = last.tool_calls![0];
    return {
      messages: [
        new ToolMessage({
          content: `Result for ${call.args.query}: a page of findings. `.repeat(12),
          tool_call_id: call.id!,
        }),
      ],
    };
  };
  const done = (s: { messages: unknown[] }) => (s.messages.length >= STEPS ? END : "tools");
  // The same graph on either schema; the casts only bridge the two state types.
  const graph =
    schema === "plain"
      ? new StateGraph(MessagesAnnotation).addNode("agent", agent as never).addNode("tools", tools as never)
      : new StateGraph(DeltaState).addNode("agent", agent as never).addNode("tools", tools as never);
  return (graph as unknown as StateGraph<typeof MessagesAnnotation>)
    .addEdge(START, "agent" as never)
    .addConditionalEdges("agent" as never, done)
    .addEdge("tools" as never, "agent" as never)
    .compile({ checkpointer: saver });
}

interface Sample {
  ms: number;
  overhead: number;
  db: number;
  /** Mean step cost of the last tenth of the steps over that of the first tenth. */
  growth: number;
  firstMs: number;
  lastMs: number;
  historyMs?: number;
  /** The run's time minus that of the same schema on NullSaver, in the same round: the saver's own cost. */
  saverMs: number;
}

async function runVariant(v: Variant, readHistory: boolean): Promise<Sample> {
  collectGarbage();
  const made = await make(v.kind);
  const starts: number[] = [];
  const app = agentLoop(v.schema, made.saver, starts);
  const config = { configurable: { thread_id: "agent" }, recursionLimit: STEPS + 10 };
  const t0 = performance.now();
  const out = await app.invoke({ messages: [new HumanMessage("Research the history of SQLite.")] }, config);
  const ms = performance.now() - t0;
  if (out.messages.length !== STEPS) throw new Error(`${label(v)}: ${out.messages.length} messages`);
  const steps = starts.slice(1).map((t, i) => t - starts[i]);
  const tenth = Math.floor(steps.length / 10);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const firstMs = mean(steps.slice(0, tenth));
  const lastMs = mean(steps.slice(-tenth));
  const sample: Sample = {
    ms,
    overhead: 0,
    saverMs: 0,
    db: 0,
    growth: lastMs / firstMs,
    firstMs,
    lastMs,
  };
  if (made.saver && v.kind !== "NullSaver" && readHistory) {
    const { ms, states, newest } = await timeStateHistory(app, "agent");
    sample.historyMs = ms;
    const last = (newest as { messages: unknown[] }).messages.length;
    if (states < STEPS || last !== STEPS)
      throw new Error(`${label(v)}: history of ${states} states, last with ${last}`);
  }
  await made.close();
  sample.db = diskBytes(made.files);
  return sample;
}

async function main() {
  console.log(`node ${process.version}, ${new Date().toISOString()}, ${STEPS} steps\n`);
  const samples = new Map<Variant, Sample[]>(VARIANTS.map((v) => [v, []]));
  for (let round = 0; round <= ROUNDS; round++) {
    // Each round runs the savers of a schema in a rotated order, so that none always runs after the
    // same one; overhead is taken against the same round's run with no checkpointer.
    const order = KINDS.map((_, i) => (i + round) % KINDS.length);
    const ran = new Map<Variant, Sample>();
    for (const base of [0, KINDS.length]) {
      for (const i of order) {
        const v = VARIANTS[base + i];
        const s = await runVariant(v, round <= HISTORY_ROUNDS);
        ran.set(v, s);
        process.stderr.write(`round ${round}: ${label(v)} ${s.ms.toFixed(0)} ms\n`);
      }
    }
    for (const [v, s] of ran) {
      s.overhead = Math.max(0, s.ms - ran.get(variant(v.schema, "none"))!.ms);
      s.saverMs = s.ms - ran.get(variant(v.schema, "NullSaver"))!.ms;
      if (round > 0) samples.get(v)!.push(s);
    }
  }
  const m = (v: Variant, f: (s: Sample) => number | undefined) => medianOf(samples.get(v)!, f);
  console.log(
    `## ${STEPS}-step agent loop (median of ${ROUNDS} interleaved rounds after a warm-up round; getStateHistory: of the first ${HISTORY_ROUNDS})\n`,
  );
  console.log(
    "Overhead is the run's time minus that of the same schema with no checkpointer, in the same round.\n" +
      "NullSaver stores nothing: its overhead is LangGraph's own work for a checkpointer, which every saver pays too.\n" +
      "Step growth: mean cost of the last 10% of steps over that of the first 10%.\n",
  );
  console.log(
    "| state | checkpointer | total ms | overhead ms | database | first 10% ms/step | last 10% ms/step | step growth | getStateHistory ms |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const v of VARIANTS) {
    console.log(
      `| ${v.schema === "plain" ? "MessagesAnnotation" : "MessagesDeltaValue"} | ${v.kind} | ${fmt(
        m(v, (s) => s.ms),
        0,
      )} | ${
        v.kind === "none"
          ? "–"
          : fmt(
              m(v, (s) => s.overhead),
              0,
            )
      } | ${v.kind === "none" || v.kind === "NullSaver" ? "–" : mb(m(v, (s) => s.db))} | ${fmt(
        m(v, (s) => s.firstMs),
        2,
      )} | ${fmt(
        m(v, (s) => s.lastMs),
        2,
      )} | ${fmt(
        m(v, (s) => s.growth),
        2,
      )}x | ${fmt(
        m(v, (s) => s.historyMs),
        0,
      )} |`,
    );
  }
  console.log(
    "\nEach saver's own cost: its run's time minus that of NullSaver on the same schema, in the same round (median).\n",
  );
  console.log("| state | SqliteSaver ms | RustSqliteSaver ms |\n|---|---|---|");
  for (const schema of ["plain", "delta"] as const) {
    const own = (kind: Kind) =>
      fmt(
        m(variant(schema, kind), (s) => s.saverMs),
        0,
      );
    console.log(
      `| ${schema === "plain" ? "MessagesAnnotation" : "MessagesDeltaValue"} | ${own("SqliteSaver")} | ${own("RustSqliteSaver")} |`,
    );
  }
  const [sqlite, ours, sqliteDelta, oursDelta] = [
    variant("plain", "SqliteSaver"),
    variant("plain", "RustSqliteSaver"),
    variant("delta", "SqliteSaver"),
    variant("delta", "RustSqliteSaver"),
  ];
  const overhead = (s: Sample) => s.overhead;
  const history = (s: Sample) => s.historyMs;
  const figures: [string, Variant, Variant, (s: Sample) => number | undefined][] = [
    ["overhead, MessagesAnnotation", sqlite, ours, overhead],
    ["database, MessagesAnnotation", sqlite, ours, (s) => s.db],
    ["getStateHistory, MessagesAnnotation", sqlite, ours, history],
    [
      "overhead: MessagesDeltaValue on SqliteSaver / MessagesAnnotation on RustSqliteSaver",
      sqliteDelta,
      ours,
      overhead,
    ],
    ["overhead, MessagesDeltaValue", sqliteDelta, oursDelta, overhead],
    ["getStateHistory, MessagesDeltaValue", sqliteDelta, oursDelta, history],
  ];
  console.log("\n| figure | SqliteSaver / RustSqliteSaver |\n|---|---|");
  for (const [figure, peer, us, f] of figures) console.log(`| ${figure} | ${ratio(m(peer, f), m(us, f))} |`);
}

run(main);
