/**
 * state-rust against the official reducers and careful plain-JS state operations, on the same work
 * in one process.
 *
 *   pnpm --filter @fast-langgraph/state-rust bench      (or `pnpm bench` at the root)
 */
import { performance } from "node:perf_hooks";
import { isDeepStrictEqual } from "node:util";

import { canonicalJsonHash } from "@fast-langgraph/native";
import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import {
  MessagesAnnotation as OfficialMessagesAnnotation,
  START,
  StateGraph,
  messagesStateReducer,
} from "@langchain/langgraph";

// The build users run, not the source through tsx (which adds a naming helper call to each closure).
import { MessagesAnnotation, deepMerge, messagesReducer, stateDiff } from "../dist/index.js";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const gc = () => (globalThis as { gc?: () => void }).gc?.();

/** µs per call of `body`, over `iterations` calls after a warm-up of an eighth as many. */
function timed(iterations: number, body: (i: number) => unknown): number {
  for (let i = 0; i < Math.max(3, iterations >> 3); i++) body(i);
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) body(i);
  return ((performance.now() - t0) * 1000) / iterations;
}

/**
 * Appending one message to a list of `size`: chains of `size / 10` appends (at least one), each from
 * a list the reducer made, so the list stays within 10% of `size`. Only the appends are timed.
 */
function appendOne(size: number, calls: number) {
  const messages: BaseMessage[] = Array.from(
    { length: size },
    (_, i) => new HumanMessage({ content: `message ${i}`, id: `m-${i}` }),
  );
  const chain = Math.max(1, Math.floor(size / 10));
  const reducers: Record<string, (list: BaseMessage[], m: BaseMessage) => BaseMessage[]> = {
    messagesStateReducer,
    messagesReducer,
    "concat alone": (list, m) => list.concat(m),
  };
  const samples = new Map<string, number[]>();
  for (let round = 0; round <= 5; round++) {
    for (const [name, reduce] of Object.entries(reducers)) {
      gc();
      let ms = 0;
      for (let done = 0; done < calls; done += chain) {
        let list = name === "concat alone" ? messages : reduce([], messages as never);
        const t0 = performance.now();
        for (let i = 0; i < chain; i++)
          list = reduce(list, new AIMessage({ content: `reply ${i}`, id: `r-${done}-${i}` }));
        ms += performance.now() - t0;
      }
      if (round > 0) samples.set(name, [...(samples.get(name) ?? []), (ms * 1000) / calls]);
    }
  }
  const [official, ours, concat] = Object.keys(reducers).map((n) => median(samples.get(n)!));
  return `| ${size.toLocaleString("en")} | ${official.toFixed(2)} | ${ours.toFixed(2)} | ${concat.toFixed(2)} | ${(official / ours).toFixed(1)}x |`;
}

/** A graph that adds one message per step for `steps` steps, with no checkpointer. */
async function longGraph(annotation: typeof OfficialMessagesAnnotation, steps: number) {
  const starts: number[] = [];
  const graph = new StateGraph(annotation)
    .addNode("step", (s) => {
      starts.push(performance.now());
      return { messages: [new AIMessage({ content: `step ${s.messages.length}` })] };
    })
    .addEdge(START, "step")
    .addConditionalEdges("step", (s) => (s.messages.length < steps ? "step" : "__end__"))
    .compile();
  gc();
  const t0 = performance.now();
  await graph.invoke({ messages: [] }, { recursionLimit: steps + 10 });
  const total = performance.now() - t0;
  const perStep = starts.slice(1).map((t, i) => t - starts[i]);
  const tenth = Math.floor(perStep.length / 10);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { total, first: mean(perStep.slice(0, tenth)), last: mean(perStep.slice(-tenth)) };
}

/** A nested state of about 1 MB: documents with text, tags and metadata. */
function nestedState(seed: number) {
  const docs: Record<string, unknown> = {};
  for (let i = 0; i < 2800; i++) {
    docs[`doc-${i}`] = {
      title: `Document ${i}`,
      body: `body ${i} `.padEnd(240, "lorem ipsum dolor sit amet "),
      tags: [`t${i % 7}`, `t${i % 11}`],
      meta: { version: seed, score: i / 3, owner: { name: `user ${i % 50}`, team: `team ${i % 5}` } },
    };
  }
  return { docs, settings: { mode: "full", limits: { a: 1, b: 2 } } };
}

/** A careful plain-JS deep merge, written as one would by hand. */
function plainDeepMerge(a: unknown, b: unknown): unknown {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(a) || !isObject(b)) return b === undefined ? a : b;
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) if (value !== undefined) out[key] = plainDeepMerge(a[key], value);
  return out;
}

/** A careful plain-JS diff: Node's own deep-equality check per key. */
function plainStateDiff(before: Record<string, unknown>, after: Record<string, unknown>) {
  const added = Object.keys(after).filter((k) => !(k in before));
  const removed = Object.keys(before).filter((k) => !(k in after));
  const changed = Object.keys(after).filter((k) => k in before && !isDeepStrictEqual(before[k], after[k]));
  return { added, changed, removed };
}

function stateOps() {
  const a = nestedState(1);
  const patch: { docs: Record<string, unknown> } = { docs: {} };
  for (let i = 0; i < 2800; i += 10) patch.docs[`doc-${i}`] = { meta: { version: 2, owner: { team: "moved" } } };
  const merged = deepMerge(a, patch);
  const copy = structuredClone(a);
  const bytes = JSON.stringify(a).length;
  const variants: [string, string, () => unknown][] = [
    ["deepMerge (10% of documents patched)", "state-rust deepMerge", () => deepMerge(a, patch)],
    ["deepMerge (10% of documents patched)", "plain-JS deep merge", () => plainDeepMerge(a, patch)],
    [
      "deepMerge (10% of documents patched)",
      "JSON round trip of both (a Rust path's floor)",
      () => JSON.parse(JSON.stringify([a, patch])),
    ],
    ["stateDiff (after that merge)", "state-rust stateDiff", () => stateDiff(a, merged)],
    ["stateDiff (after that merge)", "plain JS, isDeepStrictEqual per key", () => plainStateDiff(a, merged)],
    [
      "stateDiff (after that merge)",
      "native canonical hash of both (a Rust path)",
      () => canonicalJsonHash(JSON.stringify(a)) === canonicalJsonHash(JSON.stringify(merged)),
    ],
    ["stateDiff (equal deep copy)", "state-rust stateDiff", () => stateDiff(a, copy)],
    ["stateDiff (equal deep copy)", "plain JS, isDeepStrictEqual per key", () => plainStateDiff(a, copy)],
    [
      "stateDiff (equal deep copy)",
      "native canonical hash of both (a Rust path)",
      () => canonicalJsonHash(JSON.stringify(a)) === canonicalJsonHash(JSON.stringify(copy)),
    ],
  ];
  const samples = new Map<string, number[]>();
  for (let round = 0; round <= 5; round++) {
    for (const [work, name, body] of variants) {
      gc();
      const ms = timed(20, body) / 1000;
      if (round > 0) samples.set(`${work}|${name}`, [...(samples.get(`${work}|${name}`) ?? []), ms]);
    }
  }
  const rows = variants.map(([work, name]) => {
    const ms = median(samples.get(`${work}|${name}`)!);
    const ours = median(samples.get(`${work}|${variants.find(([w]) => w === work)![1]}`)!);
    return `| ${work} | ${name} | ${ms.toFixed(2)} | ${(ms / ours).toFixed(1)}x |`;
  });
  return { rows, bytes };
}

async function main() {
  console.log(`node ${process.version}, ${new Date().toISOString()}\n`);
  console.log("## Appending one message (µs per call, median of 5 interleaved rounds after a warm-up round)\n");
  console.log(
    "| list length | messagesStateReducer | messagesReducer | concat alone | messagesStateReducer / messagesReducer |",
  );
  console.log("|---|---|---|---|---|");
  console.log(appendOne(10, 20_000));
  console.log(appendOne(1000, 5_000));
  console.log(appendOne(10_000, 2_000));

  const steps = 3000;
  const runs = {
    official: [] as Awaited<ReturnType<typeof longGraph>>[],
    ours: [] as Awaited<ReturnType<typeof longGraph>>[],
  };
  for (let round = 0; round <= 3; round++) {
    const official = await longGraph(OfficialMessagesAnnotation, steps);
    const ours = await longGraph(MessagesAnnotation as unknown as typeof OfficialMessagesAnnotation, steps);
    if (round > 0) {
      runs.official.push(official);
      runs.ours.push(ours);
    }
  }
  console.log(
    `\n## A ${steps.toLocaleString("en")}-step graph, one message per step, no checkpointer (median of 3 rounds after a warm-up round)\n`,
  );
  console.log("| annotation | total ms | ms per step, first 10% | ms per step, last 10% | last / first |");
  console.log("|---|---|---|---|---|");
  const pick = (rs: Awaited<ReturnType<typeof longGraph>>[], key: "total" | "first" | "last") =>
    median(rs.map((r) => r[key]));
  for (const [name, rs] of [
    ["official MessagesAnnotation", runs.official],
    ["state-rust MessagesAnnotation", runs.ours],
  ] as const) {
    const [total, first, last] = (["total", "first", "last"] as const).map((k) => pick(rs, k));
    console.log(
      `| ${name} | ${total.toFixed(0)} | ${first.toFixed(3)} | ${last.toFixed(3)} | ${(last / first).toFixed(2)}x |`,
    );
  }
  console.log(
    `\nEnd to end, official / state-rust: ${(pick(runs.official, "total") / pick(runs.ours, "total")).toFixed(2)}x`,
  );

  const { rows, bytes } = stateOps();
  console.log(
    `\n## State operations on a ${(bytes / 2 ** 20).toFixed(1)} MB nested state (ms per call, median of 5 rounds after a warm-up round)\n`,
  );
  console.log("| work | implementation | ms | this / state-rust |");
  console.log("|---|---|---|---|");
  for (const row of rows) console.log(row);
}

await main();
