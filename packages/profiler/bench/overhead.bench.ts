/**
 * What the profiler adds to a 200-step graph's run time, measured against the same graph unprofiled
 * in the same process.
 *
 *   pnpm --filter @fast-langgraph/profiler bench      (or `pnpm bench` at the root)
 */
import { performance } from "node:perf_hooks";

import { Annotation, MemorySaver, START, StateGraph } from "@langchain/langgraph";

import { Profiler, type ProfilerOptions } from "../src/index.js";

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

function graph(nodeMs: number, profiler?: Profiler) {
  const saver = new MemorySaver();
  const compiled = new StateGraph(State)
    .addNode("step", (s) => {
      work(nodeMs);
      return { n: 1, log: [`step ${s.n}`] };
    })
    .addEdge(START, "step")
    .addConditionalEdges("step", (s) => (s.n < STEPS ? "step" : "__end__"))
    .compile({ checkpointer: profiler ? profiler.checkpointer(saver) : saver });
  return profiler ? profiler.wrap(compiled) : compiled;
}

async function runMs(nodeMs: number, profiled?: ProfilerOptions): Promise<number> {
  const g = graph(nodeMs, profiled ? new Profiler(profiled) : undefined);
  const t0 = performance.now();
  await g.invoke({ n: 0 }, { configurable: { thread_id: "t" }, recursionLimit: STEPS + 10 });
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const ROUNDS = 21;

async function main() {
  console.log(`node ${process.version}, ${new Date().toISOString()}\n`);
  console.log(
    `## Profiler overhead on a ${STEPS}-step graph with MemorySaver (ms per run, median of ${ROUNDS} interleaved rounds after a warm-up round)\n`,
  );
  console.log("Profiled: `wrap(graph)` and `checkpointer(saver)`; by default model calls are seen too.\n");
  console.log("| node's own work | unprofiled | profiled | added | profiled, `{ models: false }` | added |");
  console.log("|---|---|---|---|---|---|");
  for (const nodeMs of [0, 1]) {
    const samples = { plain: [] as number[], profiled: [] as number[], noModels: [] as number[] };
    for (let round = 0; round <= ROUNDS; round++) {
      const plain = await runMs(nodeMs);
      const profiled = await runMs(nodeMs, {});
      const noModels = await runMs(nodeMs, { models: false });
      if (round > 0) {
        samples.plain.push(plain);
        samples.profiled.push(profiled);
        samples.noModels.push(noModels);
      }
    }
    const [plain, profiled, noModels] = [median(samples.plain), median(samples.profiled), median(samples.noModels)];
    const added = (ms: number) => `${((ms / plain - 1) * 100).toFixed(1)}%`;
    console.log(
      `| ${nodeMs === 0 ? "none" : `${nodeMs} ms`} | ${plain.toFixed(1)} | ${profiled.toFixed(1)} | ${added(profiled)} | ${noModels.toFixed(1)} | ${added(noModels)} |`,
    );
  }
}

await main();
