/**
 * What the profiler adds to a 200-step graph's run time, measured against the same graph unprofiled
 * in the same process.
 *
 *   pnpm --filter @fast-langgraph/profiler bench      (or `pnpm bench` at the root)
 */
import { performance } from "node:perf_hooks";

import { FakeListChatModel } from "@langchain/core/utils/testing";
import { Annotation, MemorySaver, START, StateGraph } from "@langchain/langgraph";

// The build users run, not the source through tsx (which adds a naming helper call to each closure).
import { Profiler, type ProfilerOptions } from "../dist/index.js";

const STEPS = 200;
const State = Annotation.Root({
  n: Annotation<number>({ reducer: (a, b) => a + b, default: () => 0 }),
  log: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

/** Busy work standing in for a node's own code. */
function work(ms: number): number {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x++;
  return x;
}

/** A node's own work: none, 1 ms of computation, or a call to a chat model that answers at once. */
type Work = "none" | "1 ms" | "a model call";
const WORKS: Work[] = ["none", "1 ms", "a model call"];

function graph(nodeWork: Work, profiler?: Profiler) {
  const saver = new MemorySaver();
  const model = new FakeListChatModel({ responses: ["ok"] });
  const compiled = new StateGraph(State)
    .addNode("step", async (s) => {
      if (nodeWork === "1 ms") work(1);
      if (nodeWork === "a model call") await model.invoke(`step ${s.n}`);
      return { n: 1, log: [`step ${s.n}`] };
    })
    .addEdge(START, "step")
    .addConditionalEdges("step", (s) => (s.n < STEPS ? "step" : "__end__"))
    .compile({ checkpointer: profiler ? profiler.checkpointer(saver) : saver });
  return profiler ? profiler.wrap(compiled) : compiled;
}

async function runMs(nodeWork: Work, profiled?: ProfilerOptions): Promise<number> {
  const g = graph(nodeWork, profiled ? new Profiler(profiled) : undefined);
  const t0 = performance.now();
  await g.invoke({ n: 0 }, { configurable: { thread_id: "t" }, recursionLimit: STEPS + 10 });
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const ROUNDS = 41;

async function main() {
  console.log(`node ${process.version}, ${new Date().toISOString()}\n`);
  console.log(
    `## Profiler overhead on a ${STEPS}-step graph with MemorySaver (${ROUNDS} rounds after a warm-up round)\n`,
  );
  console.log(
    "Each round runs the graph unprofiled, profiled, and profiled with `{ models: false }`, in a rotating order. Profiled: `wrap(graph)` and `checkpointer(saver)`; by default model calls are seen too. This machine's speed drifts by ±20% within seconds, so the added time is the median of each round's ratio to its own unprofiled run; the times are medians over the rounds.\n",
  );
  console.log("| node's own work | unprofiled ms | profiled ms | added | `{ models: false }` ms | added |");
  console.log("|---|---|---|---|---|---|");
  const kinds: (ProfilerOptions | undefined)[] = [undefined, {}, { models: false }];
  for (const nodeWork of WORKS) {
    const ms: number[][] = kinds.map(() => []);
    for (let round = 0; round <= ROUNDS; round++) {
      for (let i = 0; i < kinds.length; i++) {
        const k = (i + round) % kinds.length;
        const t = await runMs(nodeWork, kinds[k]);
        if (round > 0) ms[k].push(t);
      }
    }
    const added = (k: number) => {
      const ratios = ms[k].map((t, round) => t / ms[0][round]);
      return `${((median(ratios) - 1) * 100).toFixed(1)}%`;
    };
    const [plain, profiled, noModels] = ms.map(median);
    console.log(
      `| ${nodeWork} | ${plain.toFixed(1)} | ${profiled.toFixed(1)} | ${added(1)} | ${noModels.toFixed(1)} | ${added(2)} |`,
    );
  }
}

await main();
