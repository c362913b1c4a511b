/**
 * A plain array that grows by appending: a 500-step loop whose node appends one ~200-byte object to
 * an `Annotation<Item[]>` with a concat reducer, on SqliteSaver and on RustSqliteSaver, in one
 * process. Then `getStateHistory` over the 500 checkpoints it leaves.
 *
 *   pnpm --filter @fast-langgraph/checkpoint-rust bench      (or `pnpm bench` at the root)
 */
import { performance } from "node:perf_hooks";

import { Annotation, END, START, StateGraph, type BaseCheckpointSaver } from "@langchain/langgraph";

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
const ROUNDS = Number(process.env.FLG_BENCH_ROUNDS ?? 5);
const KINDS: Kind[] = ["none", "SqliteSaver", "RustSqliteSaver"];

interface Item {
  step: number;
  text: string;
  tags: string[];
}

const State = Annotation.Root({
  items: Annotation<Item[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

function loop(saver: BaseCheckpointSaver | undefined) {
  return new StateGraph(State)
    .addNode("add", (s) => {
      const step = s.items.length;
      return { items: [{ step, text: `Observation ${step}: `.padEnd(160, "."), tags: ["search", `q${step}`] }] };
    })
    .addEdge(START, "add")
    .addConditionalEdges("add", (s) => (s.items.length >= STEPS ? END : "add"))
    .compile({ checkpointer: saver });
}

interface Sample {
  ms: number;
  overhead: number;
  db: number;
  historyMs?: number;
}

async function runKind(kind: Kind): Promise<Sample> {
  collectGarbage();
  const made = await make(kind);
  const app = loop(made.saver);
  const config = { configurable: { thread_id: "items" }, recursionLimit: STEPS + 10 };
  const t0 = performance.now();
  const out = await app.invoke({ items: [] }, config);
  const ms = performance.now() - t0;
  if (out.items.length !== STEPS) throw new Error(`${kind}: ${out.items.length} items`);
  const sample: Sample = { ms, overhead: 0, db: 0 };
  if (made.saver) {
    const history = await timeStateHistory(app, "items");
    sample.historyMs = history.ms;
    if ((history.newest as { items: Item[] }).items.length !== STEPS) throw new Error(`${kind}: history`);
    if (history.states < STEPS) throw new Error(`${kind}: history of ${history.states} states`);
  }
  await made.close();
  sample.db = diskBytes(made.files);
  return sample;
}

async function main() {
  console.log(`node ${process.version}, ${new Date().toISOString()}, ${STEPS} steps\n`);
  const samples = new Map<Kind, Sample[]>(KINDS.map((k) => [k, []]));
  for (let round = 0; round <= ROUNDS; round++) {
    // A rotated order each round; overhead against the same round's run with no checkpointer.
    const ran = new Map<Kind, Sample>();
    for (const i of [0, 1, 2]) {
      const kind = KINDS[(i + round) % 3];
      const s = await runKind(kind);
      ran.set(kind, s);
      process.stderr.write(`round ${round}: ${kind} ${s.ms.toFixed(0)} ms\n`);
    }
    for (const [kind, s] of ran) {
      s.overhead = Math.max(0, s.ms - ran.get("none")!.ms);
      if (round > 0) samples.get(kind)!.push(s);
    }
  }
  const m = (kind: Kind, f: (s: Sample) => number | undefined) => medianOf(samples.get(kind)!, f);
  console.log(
    `## ${STEPS}-step loop appending to a plain array (median of ${ROUNDS} interleaved rounds after a warm-up round)\n`,
  );
  console.log("Overhead is the run's time minus that of the same graph with no checkpointer, in the same round.\n");
  console.log("| checkpointer | total ms | overhead ms | database | getStateHistory ms |\n|---|---|---|---|---|");
  for (const kind of KINDS) {
    const none = kind === "none";
    console.log(
      `| ${kind} | ${fmt(
        m(kind, (s) => s.ms),
        0,
      )} | ${
        none
          ? "–"
          : fmt(
              m(kind, (s) => s.overhead),
              0,
            )
      } | ${none ? "–" : mb(m(kind, (s) => s.db))} | ${fmt(
        m(kind, (s) => s.historyMs),
        0,
      )} |`,
    );
  }
  console.log("\n| figure | SqliteSaver / RustSqliteSaver |\n|---|---|");
  const figures: [string, (s: Sample) => number | undefined][] = [
    ["overhead", (s) => s.overhead],
    ["database", (s) => s.db],
    ["getStateHistory", (s) => s.historyMs],
  ];
  for (const [figure, f] of figures) {
    console.log(`| ${figure} | ${ratio(m("SqliteSaver", f), m("RustSqliteSaver", f))} |`);
  }
}

run(main);
