/**
 * Property tests: for random sequences of graph operations, RustSqliteSaver reads back exactly what the
 * official MemorySaver reads back.
 *
 * Each seed builds the same real LangGraph graph twice (one on MemorySaver, one on RustSqliteSaver: on a
 * file for even seeds, in memory for odd ones, compressed for every third) and applies the same random operations to both: new
 * messages, replacements by id, RemoveMessage, updateState on the head, forks from older checkpoints,
 * in-place mutation of message objects the test already sent (then sent again), edits of messages read
 * back, and odd values (unicode, empty strings, 0/-1/1.5/-0, null, undefined, nested data, 10-50 KB
 * strings past the inline threshold). After every operation the thread's `getState` must agree; every
 * few operations, and for every thread at the end, so must `getStateHistory` and every tuple of
 * `saver.list` / `saver.getTuple` (with `before`, `limit` and `filter` too). Objects returned by reads are
 * mutated (a `tamper` operation, and at the end), and later reads must not see it.
 *
 * Runtime: reading history costs a few ms per checkpoint on either side (mostly MemorySaver's stock
 * reviver and LangGraph rebuilding each snapshot), so CI runs 32 sequences of 10-13 operations: 22-30 s on a 2-core machine.
 *
 * Seeds: CI runs the fixed list below. To hunt for bugs locally:
 *   FLG_PROPERTY_SEEDS=17,42         run exactly these seeds
 *   FLG_PROPERTY_RUNS=500            run 500 seeds starting at FLG_PROPERTY_BASE (default 1000;
 *                                    FLG_PROPERTY_BASE=random picks a base and prints it)
 * A failure names the seed and lists the operations (long strings shortened), so
 * `FLG_PROPERTY_SEEDS=<seed> npx vitest run tests/property.test.ts` replays it.
 *
 * What is compared, and the normalizations (everything else must be `toStrictEqual`):
 * - checkpoint ids, `ts`/`createdAt` and task ids differ between savers (uuid6 from the clock, uuid5 from
 *   the checkpoint id), so they are left out; configs keep thread_id and checkpoint_ns, and each
 *   snapshot's parent is compared as the parent's position in the history (the shape of the tree).
 * - channel versions: RustSqliteSaver's `getNextVersion` adds a random fraction (documented: two branches
 *   of a fork must not share a version), so versions are compared by their integer part, which must be
 *   MemorySaver's version exactly.
 * - pending writes: their task id is a uuid5 of the checkpoint id, so it differs; they are compared as
 *   [channel, value] in the order read. (Writes are ordered by task path, task id, index; every step of
 *   this graph runs one task, so the task id never decides the order here.)
 * - raw `checkpoint.channel_values` (saver.list / getTuple only): MemorySaver returns the checkpoint as
 *   LangGraph gave it, with the empty defaults of channels that have no version yet (`messages: []`,
 *   `notes: []`, `__pregel_tasks: []`); RustSqliteSaver stores values per (channel, version), as the
 *   Postgres saver does (the conformance suite's "only store channel_values that have changed" test), so
 *   those read back absent, which LangGraph restores as the same empty defaults. Only channels with a
 *   version are compared, and MemorySaver's unversioned ones must be empty. `getState`/history values,
 *   which is what a graph sees, are compared without this.
 * Messages are compared whole with `toStrictEqual`: same class and same fields, including undefined ones.
 */
import { describe, expect, it } from "vitest";

import {
  AIMessage,
  HumanMessage,
  RemoveMessage,
  SystemMessage,
  ToolMessage,
  type BaseMessage,
} from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import {
  Annotation,
  END,
  MemorySaver,
  MessagesAnnotation,
  START,
  StateGraph,
  type StateSnapshot,
} from "@langchain/langgraph";
import type { BaseCheckpointSaver, CheckpointTuple } from "@langchain/langgraph-checkpoint";

import { RustSqliteSaver } from "../src/index.js";
import { tempSavers } from "./fixtures/temp-savers.js";

const { saverAt } = tempSavers("property");

const CI_SEEDS = Array.from({ length: 32 }, (_, i) => i + 1);

function seedsToRun(): number[] {
  const list = process.env.FLG_PROPERTY_SEEDS;
  if (list) return list.split(",").map((s) => Number.parseInt(s.trim(), 10));
  const runs = Number.parseInt(process.env.FLG_PROPERTY_RUNS ?? "", 10);
  if (!Number.isFinite(runs) || runs <= 0) return CI_SEEDS;
  const baseEnv = process.env.FLG_PROPERTY_BASE;
  const base = baseEnv === "random" ? Math.floor(Math.random() * 1e9) : Number.parseInt(baseEnv ?? "1000", 10);
  console.log(`property tests: ${runs} seeds from ${base}`);
  return Array.from({ length: runs }, (_, i) => base + i);
}

// ---------------------------------------------------------------------------------------------------
// A seeded PRNG, so that a seed replays the same operations.

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  weighted<T extends string>(weights: Record<T, number>): T {
    const entries = Object.entries(weights) as [T, number][];
    let roll = this.next() * entries.reduce((n, [, w]) => n + w, 0);
    for (const [key, w] of entries) {
      roll -= w;
      if (roll < 0) return key;
    }
    return entries[entries.length - 1][0];
  }
}

// ---------------------------------------------------------------------------------------------------
// Odd values, used as message contents, kwargs, tool call args and channel values.

const UNICODE = ['é ✓ 🚀 中文 \u2028 \u2029 "quoted" \\ back', "\u0000nul", "tab\tnew\nline", "ﬀ 𝒳 \ud83d\ude00"];

function bigString(rng: Rng): string {
  const size = rng.int(10_000, 50_000);
  const unit = `big-${rng.int(0, 999)} ✓ lorem ipsum `;
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

function oddValue(rng: Rng, depth = 0): unknown {
  const kind = rng.int(0, depth > 2 ? 9 : 13);
  switch (kind) {
    case 0:
      return "";
    case 1:
      return rng.pick(UNICODE);
    case 2:
      return rng.pick([0, -1, 1.5, -0, 1e21, Number.MAX_SAFE_INTEGER]);
    case 3:
      return null;
    case 4:
      return rng.chance(0.5);
    case 5:
      return `word-${rng.int(0, 99)}`;
    case 6:
      return rng.chance(0.15) ? bigString(rng) : "short";
    case 7:
      return [];
    case 8:
      return {};
    case 9:
      return rng.int(-5, 5);
    case 10:
      return [oddValue(rng, depth + 1), [oddValue(rng, depth + 1)], oddValue(rng, depth + 1)];
    case 11:
      return { nested: { deeper: oddValue(rng, depth + 1) }, "": oddValue(rng, depth + 1), "dashed-key": 1 };
    case 12:
      return { gone: undefined, snake_key: [oddValue(rng, depth + 1)], list: [null, 0] };
    default:
      return { lc: 1, note: "user data with an lc key", value: oddValue(rng, depth + 1) };
  }
}

function oddContent(rng: Rng, text: string): string | { type: "text"; text: string }[] {
  const roll = rng.int(0, 9);
  if (roll === 0) return "";
  if (roll === 1) return rng.pick(UNICODE);
  if (roll === 2) return [{ type: "text", text }];
  if (roll === 3 && rng.chance(0.3)) return bigString(rng);
  return text;
}

// ---------------------------------------------------------------------------------------------------
// The graph: MessagesAnnotation plus notes (concat), a counter and an object (both replaced) and the
// operation's plan. Nodes are pure functions of the state: no randomness, no clock.

interface Plan {
  tag: string;
  /** How many rounds of tool calls the agent makes before its final answer. */
  tools: number;
  payload: unknown;
}

const State = Annotation.Root({
  ...MessagesAnnotation.spec,
  notes: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  counter: Annotation<number>,
  meta: Annotation<Record<string, unknown> | null>,
  plan: Annotation<Plan>,
});
type S = typeof State.State;

const CALL = /^call-(.+)-r(\d+)-\d+$/;

function buildGraph(checkpointer: BaseCheckpointSaver) {
  return new StateGraph(State)
    .addNode("agent", (s: S) => {
      const plan: Plan = s.plan ?? { tag: "none", tools: 0, payload: null };
      const n = s.messages.length;
      const last = s.messages[n - 1];
      let round = 0;
      if (last instanceof ToolMessage) {
        const match = CALL.exec(last.tool_call_id);
        if (match && match[1] === plan.tag) round = Number(match[2]) + 1;
      }
      if (round < plan.tools) {
        const calls = 1 + ((round + n) % 2);
        return {
          messages: [
            new AIMessage({
              id: `ai-${plan.tag}-r${round}`,
              content: round % 2 ? "" : [{ type: "text", text: `thinking ${plan.tag} ${round}` }],
              tool_calls: Array.from({ length: calls }, (_, j) => ({
                id: `call-${plan.tag}-r${round}-${j}`,
                name: j ? "lookup" : "search",
                args: { q: `${plan.tag}:${round}:${j}`, payload: plan.payload, seen: n },
              })),
              additional_kwargs: { round, seen: n, nested: { list: [round, [n]] } },
              response_metadata: { model: "fake", tokens: [round, n], finish_reason: "tool_calls" },
            }),
          ],
          notes: [`agent:${plan.tag}:r${round}`],
        };
      }
      return {
        messages: [
          new AIMessage({
            id: `ai-${plan.tag}-final`,
            name: "agent",
            content: `done ${plan.tag} with ${n} messages`,
            additional_kwargs: n % 3 ? {} : { echo: plan.payload },
            response_metadata: { model: "fake", finish_reason: "stop", last: last?.id ?? null },
            usage_metadata: { input_tokens: n, output_tokens: 1, total_tokens: n + 1 },
          }),
        ],
        notes: [`agent:${plan.tag}:final`],
        counter: (s.counter ?? 0) + 1,
        meta: { ...(s.meta ?? {}), last: plan.tag, count: n, payload: plan.payload },
      };
    })
    .addNode("tool", (s: S) => {
      const last = s.messages[s.messages.length - 1] as AIMessage;
      return {
        messages: (last.tool_calls ?? []).map(
          (call, j) =>
            new ToolMessage({
              id: `tool-${call.id}`,
              tool_call_id: call.id ?? `none-${j}`,
              name: call.name,
              content:
                j % 2 ? [{ type: "text", text: `partial ${String(call.args.q)}` }] : `result ${String(call.args.q)}`,
              artifact: j % 2 ? undefined : { rows: [{ q: call.args.q, payload: call.args.payload }] },
              status: j % 2 ? "error" : "success",
            }),
        ),
      };
    })
    .addEdge(START, "agent")
    .addConditionalEdges("agent", (s: S) => {
      const last = s.messages[s.messages.length - 1];
      return last instanceof AIMessage && (last.tool_calls?.length ?? 0) > 0 ? "tool" : END;
    })
    .addEdge("tool", "agent")
    .compile({ checkpointer });
}
type Graph = ReturnType<typeof buildGraph>;

// ---------------------------------------------------------------------------------------------------
// Operations, as data: each side builds its own message objects from them.

type Content = string | { type: "text"; text: string }[];

interface MsgSpec {
  /** Registry key: the same object is mutated and sent again by later operations. */
  key: string;
  type: "human" | "ai" | "system";
  id: string;
  content: Content;
  name?: string;
  additional_kwargs?: Record<string, unknown>;
  response_metadata?: Record<string, unknown>;
  tool_calls?: { id: string; name: string; args: Record<string, unknown> }[];
}

type Mutation =
  | { how: "content"; value: Content }
  | { how: "kwarg"; key: string; value: unknown }
  | { how: "nested"; value: unknown }
  | { how: "deleteKwarg"; key: string }
  | { how: "metadata"; key: string; value: unknown }
  | { how: "toolCall"; call: { id: string; name: string; args: Record<string, unknown> } }
  | { how: "name"; value: string | undefined };

interface Extra {
  notes?: string[];
  counter?: number;
  meta?: Record<string, unknown> | null;
}

type Op =
  | { kind: "invoke"; thread: string; messages: MsgSpec[]; plan: Plan; extra: Extra }
  | { kind: "remove"; thread: string; ids: string[]; messages: MsgSpec[]; plan: Plan }
  | { kind: "update"; thread: string; messages: MsgSpec[]; extra: Extra; asNode?: string }
  | { kind: "fork"; thread: string; back: number; messages: MsgSpec[]; extra: Extra; asNode?: string }
  | { kind: "resend"; thread: string; mutations: [key: string, Mutation][]; keys: string[]; plan: Plan }
  | { kind: "editRead"; thread: string; index: number; mutation: Mutation; plan: Plan }
  | { kind: "tamper"; thread: string };

interface Side {
  name: string;
  saver: BaseCheckpointSaver;
  graph: Graph;
  registry: Map<string, BaseMessage>;
}

const config = (thread: string): RunnableConfig => ({ configurable: { thread_id: thread }, recursionLimit: 40 });

function build(spec: MsgSpec): BaseMessage {
  // Each side gets its own copy of every nested object.
  const { key: _key, type, tool_calls, ...fields } = structuredClone(spec);
  if (type === "ai") return new AIMessage({ ...fields, tool_calls: tool_calls ?? [] });
  if (type === "system") return new SystemMessage(fields);
  return new HumanMessage(fields);
}

function mutate(message: BaseMessage, mutation: Mutation): void {
  const m = structuredClone(mutation);
  switch (m.how) {
    case "content":
      message.content = m.value;
      break;
    case "kwarg":
      message.additional_kwargs[m.key] = m.value;
      break;
    case "nested": {
      const kw = message.additional_kwargs as Record<string, unknown>;
      const box = (kw.box ??= { inner: { list: [] as unknown[] } }) as { inner: { list: unknown[] } };
      box.inner.list.push(m.value);
      break;
    }
    case "deleteKwarg":
      delete message.additional_kwargs[m.key];
      break;
    case "metadata":
      (message.response_metadata as Record<string, unknown>)[m.key] = m.value;
      break;
    case "toolCall":
      if (message instanceof AIMessage) {
        message.tool_calls = message.tool_calls ?? [];
        message.tool_calls.push({ ...m.call, type: "tool_call" });
      } else {
        message.additional_kwargs.call = m.call;
      }
      break;
    case "name":
      message.name = m.value;
      break;
  }
}

function sendSpecs(side: Side, specs: MsgSpec[]): BaseMessage[] {
  return specs.map((spec) => {
    const message = build(spec);
    side.registry.set(spec.key, message);
    return message;
  });
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

async function attempt(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    const e = err as Error;
    return { ok: false, error: `${e.name}: ${e.message}` };
  }
}

async function collect<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iter) out.push(item);
  return out;
}

async function apply(side: Side, op: Op): Promise<Outcome> {
  const cfg = config(op.thread);
  switch (op.kind) {
    case "invoke":
      return attempt(() =>
        side.graph.invoke({ messages: sendSpecs(side, op.messages), plan: op.plan, ...op.extra }, cfg),
      );
    case "remove": {
      const messages = [...op.ids.map((id) => new RemoveMessage({ id })), ...sendSpecs(side, op.messages)];
      return attempt(() => side.graph.invoke({ messages, plan: op.plan }, cfg));
    }
    case "update":
      return attempt(async () => {
        const next = await side.graph.updateState(
          cfg,
          { messages: sendSpecs(side, op.messages), ...op.extra },
          op.asNode,
        );
        return (await side.graph.getState(next)).values;
      });
    case "fork":
      return attempt(async () => {
        const history = await collect(side.graph.getStateHistory(cfg));
        const target = history[Math.min(op.back, history.length - 1)];
        const values = { messages: sendSpecs(side, op.messages), ...op.extra };
        const forked = await side.graph.updateState(target.config, values, op.asNode);
        const atFork = (await side.graph.getState(forked)).values;
        const result = await side.graph.invoke(null, { ...forked, recursionLimit: 40 });
        return { atFork, result };
      });
    case "resend": {
      for (const [key, mutation] of op.mutations) mutate(side.registry.get(key)!, mutation);
      const messages = op.keys.map((key) => side.registry.get(key)!);
      return attempt(() => side.graph.invoke({ messages, plan: op.plan }, cfg));
    }
    case "editRead": {
      const state = await side.graph.getState(cfg);
      const message = (state.values.messages as BaseMessage[])[op.index];
      mutate(message, op.mutation);
      return attempt(() => side.graph.invoke({ messages: [message], plan: op.plan }, cfg));
    }
    case "tamper": {
      // Mutate everything a read returns: a later read must not see it.
      const state = await side.graph.getState(cfg);
      tamper(state.values);
      const [head] = await collect(side.graph.getStateHistory(cfg, { limit: 2 }));
      if (head) tamper(head.values);
      const tuple = await side.saver.getTuple(cfg);
      if (tuple) {
        tamper(tuple.checkpoint.channel_values);
        tuple.metadata!.step = -99;
        for (const write of tuple.pendingWrites ?? []) write[2] = "tampered";
      }
      return { ok: true, value: null };
    }
  }
}

function tamper(values: Record<string, unknown>): void {
  const messages = values.messages as BaseMessage[] | undefined;
  if (messages?.length) {
    messages[0].content = "tampered";
    messages[0].additional_kwargs.tampered = true;
    (messages[messages.length - 1].response_metadata as Record<string, unknown>).tampered = [1];
    if (messages[0] instanceof AIMessage) messages[0].tool_calls?.push({ id: "x", name: "x", args: {} });
    messages.push(new HumanMessage({ content: "extra", id: "tamper" }));
  }
  (values.notes as string[] | undefined)?.push("tampered");
  if (values.meta && typeof values.meta === "object") (values.meta as Record<string, unknown>).tampered = true;
  values.counter = -1;
}

// ---------------------------------------------------------------------------------------------------
// Generating operations: parameters that depend on the state (ids to replace or remove, checkpoints to
// fork from) are read from the MemorySaver side, which is deterministic for a given seed.

class Generator {
  readonly threads: string[];
  #n = 0;
  /** Registry keys of messages the test created and sent, with their type. */
  readonly sent: { key: string; type: MsgSpec["type"] }[] = [];

  constructor(
    readonly rng: Rng,
    readonly seed: number,
  ) {
    this.threads = ["t-a", "t-b", "t-c"].slice(0, rng.int(2, 3));
  }

  #key(): string {
    return `k${this.#n++}`;
  }

  plan(step: number): Plan {
    const rng = this.rng;
    return { tag: `p${step}`, tools: rng.pick([0, 0, 0, 1, 1, 2]), payload: oddValue(rng) };
  }

  message(id: string, step: number): MsgSpec {
    const rng = this.rng;
    const type = rng.weighted({ human: 6, ai: 3, system: 1 });
    const spec: MsgSpec = { key: this.#key(), type, id, content: oddContent(rng, `msg ${id} at ${step}`) };
    if (rng.chance(0.3)) spec.name = rng.pick(["ann", "", "bob ✓"]);
    if (rng.chance(0.5)) spec.additional_kwargs = { k: oddValue(rng), nested: { v: oddValue(rng) } };
    if (rng.chance(0.3)) spec.response_metadata = { m: oddValue(rng) };
    if (type === "ai" && rng.chance(0.6)) {
      spec.tool_calls = [{ id: `tc-${id}`, name: "search", args: { q: oddValue(rng) } }];
    }
    this.sent.push({ key: spec.key, type });
    return spec;
  }

  mutation(step: number): Mutation {
    const rng = this.rng;
    switch (rng.int(0, 6)) {
      case 0:
        return { how: "content", value: oddContent(rng, `mutated at ${step}`) };
      case 1:
        return { how: "kwarg", key: rng.pick(["k", "added", "tool_calls_note"]), value: oddValue(rng) };
      case 2:
        return { how: "nested", value: oddValue(rng) };
      case 3:
        return { how: "deleteKwarg", key: rng.pick(["k", "nested", "box"]) };
      case 4:
        return { how: "metadata", key: rng.pick(["m", "extra"]), value: oddValue(rng) };
      case 5:
        return { how: "toolCall", call: { id: `pushed-${step}`, name: "pushed", args: { v: oddValue(rng) } } };
      default:
        return { how: "name", value: rng.pick(["renamed", undefined, ""]) };
    }
  }

  extra(): Extra {
    const rng = this.rng;
    const extra: Extra = {};
    if (rng.chance(0.4)) extra.notes = rng.chance(0.8) ? [rng.pick(["note", "", UNICODE[0]])] : [];
    if (rng.chance(0.3)) extra.counter = rng.pick([0, -1, 1.5, 100]);
    if (rng.chance(0.3)) extra.meta = rng.chance(0.2) ? null : { set: oddValue(rng), list: [oddValue(rng)] };
    return extra;
  }

  async next(step: number, memory: Side): Promise<Op> {
    const rng = this.rng;
    const thread = rng.pick(this.threads);
    const state = await memory.graph.getState(config(thread));
    const ids = ((state.values.messages ?? []) as BaseMessage[]).map((m) => m.id!).filter(Boolean);
    const kind = rng.weighted({
      invoke: 22,
      replace: 10,
      remove: 8,
      update: 10,
      fork: 9,
      resend: 16,
      reuse: 6,
      editRead: 7,
      tamper: 4,
    });
    const newMessages = (count: number) => Array.from({ length: count }, (_, j) => this.message(`m${step}-${j}`, step));
    if (kind === "invoke" || (ids.length === 0 && kind !== "resend" && kind !== "reuse")) {
      return {
        kind: "invoke",
        thread,
        messages: newMessages(rng.int(1, 3)),
        plan: this.plan(step),
        extra: this.extra(),
      };
    }
    switch (kind) {
      case "replace": {
        const id = rng.chance(0.9) ? rng.pick(ids) : `never-${step}`;
        return { kind: "invoke", thread, messages: [this.message(id, step)], plan: this.plan(step), extra: {} };
      }
      case "remove": {
        // Only ids that exist: removing a missing id fails inside LangGraph's reducer after the input
        // was saved as a pending write, and every later read of that thread throws, with either saver.
        const removed = [rng.pick(ids)];
        if (ids.length > 2 && rng.chance(0.3)) removed.push(rng.pick(ids.filter((id) => id !== removed[0])));
        return {
          kind: "remove",
          thread,
          ids: removed,
          messages: rng.chance(0.5) ? newMessages(1) : [],
          plan: this.plan(step),
        };
      }
      case "update": {
        const messages = rng.chance(0.5) ? [this.message(rng.pick(ids), step)] : newMessages(rng.int(0, 2));
        return {
          kind: "update",
          thread,
          messages,
          extra: this.extra(),
          asNode: rng.pick([undefined, "agent", "tool"]),
        };
      }
      case "fork": {
        const history = await collect(memory.graph.getStateHistory(config(thread)));
        const back = rng.int(1, Math.max(1, history.length - 1));
        const messages = rng.chance(0.5) ? newMessages(1) : [];
        return { kind: "fork", thread, back, messages, extra: this.extra(), asNode: rng.pick([undefined, "agent"]) };
      }
      case "resend":
      case "reuse": {
        if (this.sent.length === 0) break;
        const picked = Array.from({ length: rng.int(1, 3) }, () => rng.pick(this.sent).key);
        const keys = [...new Set(picked)];
        const mutations: [string, Mutation][] =
          kind === "resend" ? keys.filter(() => rng.chance(0.8)).map((key) => [key, this.mutation(step)]) : [];
        return { kind: "resend", thread, mutations, keys, plan: this.plan(step) };
      }
      case "editRead":
        return {
          kind: "editRead",
          thread,
          index: rng.int(0, ids.length - 1),
          mutation: this.mutation(step),
          plan: this.plan(step),
        };
      case "tamper":
        return { kind: "tamper", thread };
    }
    return { kind: "invoke", thread, messages: newMessages(1), plan: this.plan(step), extra: this.extra() };
  }
}

// ---------------------------------------------------------------------------------------------------
// Comparison.

/** The operations, for a failure message: long strings are shortened. */
function describeOps(seed: number, ops: Op[]): string {
  const shorten = (_key: string, value: unknown) =>
    typeof value === "string" && value.length > 80
      ? `<${value.length} chars: ${value.slice(0, 30)}…>`
      : value === undefined
        ? "<undefined>"
        : Object.is(value, -0)
          ? "<-0>"
          : value;
  return `seed ${seed} (FLG_PROPERTY_SEEDS=${seed}), operations:\n${ops
    .map((op, i) => `  #${i} ${JSON.stringify(op, shorten)}`)
    .join("\n")}`;
}

const idOf = (c: RunnableConfig | undefined) => c?.configurable?.checkpoint_id as string | undefined;

/** A snapshot without what legitimately differs; its parent as a position in the history. */
function snapshotShape(s: StateSnapshot, positions: Map<string, number>) {
  const parentId = idOf(s.parentConfig);
  return {
    values: s.values,
    next: s.next,
    metadata: s.metadata,
    thread_id: s.config.configurable?.thread_id,
    checkpoint_ns: s.config.configurable?.checkpoint_ns,
    parent: parentId === undefined ? null : (positions.get(parentId) ?? "not in history"),
    tasks: s.tasks.map((t) => ({
      name: t.name,
      path: t.path,
      error: t.error,
      interrupts: t.interrupts,
      result: t.result,
      state: t.state,
    })),
  };
}

function historyShape(history: StateSnapshot[]) {
  const positions = new Map(history.map((s, i) => [idOf(s.config)!, i]));
  return history.map((s) => snapshotShape(s, positions));
}

const intPart = (versions: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(versions).map(([k, v]) => [k, Math.floor(Number(v))]));

function tupleShape(t: CheckpointTuple, positions: Map<string, number>) {
  const parentId = idOf(t.parentConfig);
  const { id: _id, ts: _ts, channel_values, channel_versions, versions_seen, ...rest } = t.checkpoint;
  // MemorySaver keeps the checkpoint's channel_values whole, including channels that never got a
  // version: LangGraph writes their empty defaults there (`messages: []`, `notes: []`,
  // `__pregel_tasks: []` in a thread's first checkpoint). RustSqliteSaver stores values per (channel,
  // version), as the Postgres saver does, so a channel without a version reads back absent, which
  // LangGraph restores as the same empty default. Those entries are left out, and must be empty.
  const versioned: Record<string, unknown> = {};
  const unversioned: Record<string, unknown> = {};
  for (const [channel, value] of Object.entries(channel_values)) {
    (Object.hasOwn(channel_versions, channel) ? versioned : unversioned)[channel] = value;
  }
  return {
    rest,
    channel_values: versioned,
    unversionedNotEmpty: Object.entries(unversioned).filter(([, v]) => !isEmptyDefault(v)),
    channel_versions: intPart(channel_versions),
    versions_seen: Object.fromEntries(Object.entries(versions_seen).map(([node, seen]) => [node, intPart(seen)])),
    metadata: t.metadata,
    thread_id: t.config.configurable?.thread_id,
    checkpoint_ns: t.config.configurable?.checkpoint_ns,
    parent: parentId === undefined ? null : (positions.get(parentId) ?? "not listed"),
    pendingWrites: (t.pendingWrites ?? []).map(([, channel, value]) => [channel, value]),
  };
}

/** What an unversioned channel may hold: its empty default. */
function isEmptyDefault(value: unknown): boolean {
  return (Array.isArray(value) && value.length === 0) || value === undefined;
}

function tuplesShape(tuples: CheckpointTuple[]) {
  const positions = new Map(tuples.map((t, i) => [idOf(t.config)!, i]));
  return tuples.map((t) => tupleShape(t, positions));
}

async function compareState(memory: Side, rust: Side, thread: string, what: () => string): Promise<void> {
  const cfg = config(thread);
  const [ms, rs] = [await memory.graph.getState(cfg), await rust.graph.getState(cfg)];
  expect(rs.values, `getState values, thread ${thread}\n${what()}`).toStrictEqual(ms.values);
  expect(rs.next, `getState next, thread ${thread}\n${what()}`).toStrictEqual(ms.next);
}

async function compareHistory(memory: Side, rust: Side, thread: string, what: () => string): Promise<void> {
  const cfg = config(thread);
  const mh = await collect(memory.graph.getStateHistory(cfg));
  const rh = await collect(rust.graph.getStateHistory(cfg));
  expect(rh.length, `history length, thread ${thread}\n${what()}`).toBe(mh.length);
  expect(historyShape(rh), `getStateHistory, thread ${thread}\n${what()}`).toStrictEqual(historyShape(mh));
}

async function compareTuples(memory: Side, rust: Side, thread: string, rng: Rng, what: () => string): Promise<void> {
  const cfg = { configurable: { thread_id: thread } };
  const [ml, rl] = [await collect(memory.saver.list(cfg)), await collect(rust.saver.list(cfg))];
  expect(rl.length, `list length, thread ${thread}\n${what()}`).toBe(ml.length);
  expect(tuplesShape(rl), `list tuples, thread ${thread}\n${what()}`).toStrictEqual(tuplesShape(ml));
  if (ml.length === 0) return;

  const [mt, rt] = [await memory.saver.getTuple(cfg), await rust.saver.getTuple(cfg)];
  const head = (t: CheckpointTuple | undefined) => (t ? tupleShape(t, new Map()) : t);
  expect(head(rt), `getTuple (head), thread ${thread}\n${what()}`).toStrictEqual(head(mt));

  // An older checkpoint by id, and a page of list() before it with a limit and a filter.
  const i = rng.int(0, ml.length - 1);
  const byId = (t: CheckpointTuple) => ({ configurable: { ...t.config.configurable } });
  const [mo, ro] = [await memory.saver.getTuple(byId(ml[i])), await rust.saver.getTuple(byId(rl[i]))];
  expect(head(ro), `getTuple #${i}, thread ${thread}\n${what()}`).toStrictEqual(head(mo));
  const limit = rng.int(1, 4);
  const source = rng.pick(["loop", "update", "input", undefined]);
  const options = (before: CheckpointTuple) => ({
    before: byId(before),
    limit,
    filter: source ? { source } : undefined,
  });
  const [mp, rp] = [
    await collect(memory.saver.list(cfg, options(ml[i]))),
    await collect(rust.saver.list(cfg, options(rl[i]))),
  ];
  const positions = (all: CheckpointTuple[], page: CheckpointTuple[]) =>
    page.map((t) => all.findIndex((u) => idOf(u.config) === idOf(t.config)));
  expect(positions(rl, rp), `list({ before, limit, filter }), thread ${thread}\n${what()}`).toEqual(positions(ml, mp));
}

// ---------------------------------------------------------------------------------------------------

// Reading a whole history costs a few ms per checkpoint on either saver (LangGraph rebuilds every
// snapshot), so the state is compared after every operation, the history every few operations, and
// the tuples less often; everything once more at the end.
const HISTORY_EVERY = 6;
const TUPLES_EVERY = 12;

async function runSequence(seed: number): Promise<void> {
  const rng = new Rng(seed);
  // Its own generator for what the comparisons pick, so that comparing more or less often does not
  // change the operations a seed makes.
  const pickRng = new Rng(seed ^ 0x5eed);
  const gen = new Generator(rng, seed);
  const rustSaver = seed % 2 === 0 ? saverAt(undefined, options(seed)) : new RustSqliteSaver(options(seed));
  const memory: Side = { name: "memory", saver: new MemorySaver(), graph: undefined!, registry: new Map() };
  const rust: Side = { name: "rust", saver: rustSaver, graph: undefined!, registry: new Map() };
  memory.graph = buildGraph(memory.saver);
  rust.graph = buildGraph(rust.saver);
  const ops: Op[] = [];
  const what = () => describeOps(seed, ops);
  try {
    const count = rng.int(10, 13);
    for (let step = 0; step < count; step++) {
      const op = await gen.next(step, memory);
      ops.push(op);
      const m = await apply(memory, op);
      const r = await apply(rust, op);
      expect(r, `outcome of op #${step}\n${what()}`).toStrictEqual(m);
      await compareState(memory, rust, op.thread, what);
      if (step % HISTORY_EVERY === HISTORY_EVERY - 1) await compareHistory(memory, rust, op.thread, what);
      if (step % TUPLES_EVERY === TUPLES_EVERY - 1) await compareTuples(memory, rust, op.thread, pickRng, what);
    }
    for (const thread of gen.threads) {
      await compareState(memory, rust, thread, what);
      await compareHistory(memory, rust, thread, what);
      await compareTuples(memory, rust, thread, pickRng, what);
      // What a read returned is the caller's: changing it changes nothing stored.
      await apply(rust, { kind: "tamper", thread });
      await compareState(memory, rust, thread, what);
    }
  } finally {
    if (rustSaver.path === ":memory:") await rustSaver.close();
  }
}

/** Every third seed stores its values compressed. */
const options = (seed: number) => (seed % 3 === 0 ? { compression: "zstd" as const } : {});

describe("RustSqliteSaver reads back what MemorySaver reads back, for random operations", () => {
  for (const seed of seedsToRun()) {
    const where = `${seed % 2 === 0 ? "file" : "memory"}${seed % 3 === 0 ? ", zstd" : ""}`;
    it(`seed ${seed} (${where})`, { timeout: 30_000 }, () => runSequence(seed));
  }
});
