import { writeFile } from "node:fs/promises";

import type {
  BaseCache,
  BaseCheckpointSaver,
  CheckpointTuple,
  SerializerProtocol,
} from "@langchain/langgraph-checkpoint";

import { checkpointBytes } from "./bytes.js";

import { ProfilerHandler } from "./handler.js";
import { renderHtml } from "./html.js";
import { instrumentGraph, type NodeSink } from "./instrument.js";
import { recommendations } from "./recommendations.js";
import { summarize, summaryColumns, supersteps, type Span, type Summary, type Superstep } from "./spans.js";

const SAVER_OPS = new Set(["put", "putWrites", "getTuple", "list"]);
const CACHE_OPS = new Set(["get", "set", "clear"]);

export interface ProfilerOptions {
  /**
   * See model calls (time, tokens) in wrapped graphs. It costs LangChain callbacks inside each task
   * (tens of microseconds per task, see BENCHMARKS.md); default true.
   */
  models?: boolean;
  /**
   * Count the bytes each checkpointer call carries. It serializes those values again with the
   * saver's serde, as much work as the saver's own serialization, so it is off by default.
   */
  bytes?: boolean;
}

export interface ProfileJSON {
  spans: Span[];
  nodes: Summary[];
  llm: Summary[];
  checkpointer: Summary[];
  cache: Summary[];
  cacheHits: { keys: number; hits: number };
  /** The top-level graph's supersteps: which tasks ran when, and their overlap. */
  steps: Superstep[];
}

/**
 * Times real LangGraph runs without changes to the graph's code: per node (from LangChain callbacks),
 * per model call, and per checkpointer and cache call (through wrappers that keep their interfaces).
 */
export class Profiler {
  readonly #spans: Span[] = [];
  /** For code that builds its own run config: pass it in `callbacks` to see tasks and model calls. */
  readonly handler = new ProfilerHandler({ spans: this.#spans });
  readonly #sink: NodeSink;
  readonly #bytes: boolean;

  constructor(options: ProfilerOptions = {}) {
    this.#bytes = options.bytes === true;
    const models = options.models === false ? undefined : new ProfilerHandler({ spans: this.#spans, tasks: false });
    this.#sink = {
      spans: this.#spans,
      attempts: new Map(),
      withModels: models && ((callbacks) => withHandler(callbacks, models)),
    };
  }

  /**
   * A copy of the compiled graph (same class, methods and types; the caller's graph is not changed)
   * whose nodes, and its subgraphs' nodes, are timed on every run, without LangChain callbacks.
   */
  wrap<G extends object>(graph: G): G {
    return instrumentGraph(graph, this.#sink);
  }

  /** The saver, with `put`, `putWrites`, `getTuple` and `list` timed (and their bytes counted, with `bytes: true`). */
  checkpointer<S extends BaseCheckpointSaver>(saver: S): S {
    return this.#timed(saver, SAVER_OPS, "checkpointer");
  }

  /** The cache, with `get`, `set` and `clear` timed, and hits counted. */
  cache<C extends BaseCache>(cache: C): C {
    return this.#timed(cache, CACHE_OPS, "cache");
  }

  get spans(): Span[] {
    return [...this.#spans].sort((a, b) => a.start - b.start);
  }

  toJSON(): ProfileJSON {
    const spans = this.spans;
    const of = (kind: Span["kind"]) => summarize(spans.filter((s) => s.kind === kind));
    const reads = spans.filter((s) => s.kind === "cache" && s.name === "get");
    return {
      spans,
      nodes: of("node"),
      llm: of("llm"),
      checkpointer: of("checkpointer"),
      cache: of("cache"),
      cacheHits: { keys: sum(reads.map((s) => s.keys ?? 0)), hits: sum(reads.map((s) => s.hits ?? 0)) },
      steps: supersteps(spans),
    };
  }

  /**
   * A text table per kind (count, total, mean, p50, p95, p99 and max, slowest total first; bytes for
   * the checkpointer), then the slowest supersteps drawn as a timeline of their tasks.
   */
  report(): string {
    const json = this.toJSON();
    const sections: [string, Summary[]][] = [
      ["Nodes", json.nodes],
      ["Model calls", json.llm],
      ["Checkpointer", json.checkpointer],
      ["Cache", json.cache],
    ];
    const out: string[] = [];
    for (const [title, rows] of sections) {
      if (rows.length === 0) continue;
      out.push(title, table(rows), "");
    }
    if (json.cacheHits.keys > 0) {
      const { hits, keys } = json.cacheHits;
      out.push(`Cache hit rate: ${hits}/${keys} (${((100 * hits) / keys).toFixed(0)}%)`, "");
    }
    if (json.steps.length > 0) out.push(stepTimeline(json.steps), "");
    return out.join("\n");
  }

  /** Findings backed by the numbers: a node taking most of the time, a low cache hit rate, checkpoint writes that grow... */
  recommendations(): string[] {
    return recommendations(this.toJSON());
  }

  /** Writes one self-contained HTML page (no script, no network): the run's timeline and where its time went. */
  async writeHtml(path: string): Promise<void> {
    const json = this.toJSON();
    await writeFile(path, renderHtml(json, recommendations(json)));
  }

  /**
   * Trace Event Format (opens in Perfetto or chrome://tracing): one complete event per span, nodes on
   * a track per task namespace so that parallel tasks show side by side.
   */
  toChromeTrace(): { traceEvents: Record<string, unknown>[]; displayTimeUnit: "ms" } {
    const spans = this.spans;
    const origin = spans.length ? spans[0].start : 0;
    const tracks = new Map<string, number>();
    const track = (key: string) => {
      if (!tracks.has(key)) tracks.set(key, tracks.size + 1);
      return tracks.get(key)!;
    };
    const traceEvents: Record<string, unknown>[] = spans.map((s) => ({
      name: s.name,
      cat: s.kind,
      ph: "X",
      ts: (s.start - origin) * 1000,
      dur: (s.end - s.start) * 1000,
      pid: 1,
      tid: track(s.kind === "node" ? `node ${s.namespace?.replace(/:[^|]*$/, "")} (step ${s.step})` : s.kind),
      args: {
        status: s.status,
        step: s.step,
        namespace: s.namespace,
        attempt: s.attempt,
        tokens: s.tokens,
        hits: s.hits,
      },
    }));
    for (const [name, tid] of tracks) traceEvents.push({ name: "thread_name", ph: "M", pid: 1, tid, args: { name } });
    return { traceEvents, displayTimeUnit: "ms" };
  }

  #timed<T extends object>(target: T, ops: Set<string>, kind: "checkpointer" | "cache"): T {
    const calls = this.#spans;
    // Bytes are counted after the call's end is taken, before its result is handed on, so that a
    // report read right after a run has them and the call's own time does not include them.
    const serde = kind === "checkpointer" && this.#bytes ? (target as unknown as BaseCheckpointSaver).serde : undefined;
    // One function per method, made on first use: LangGraph reads the saver's methods on every step.
    const methods = new Map<PropertyKey, { value: Method; method: unknown }>();
    const timedOp =
      (prop: string, value: Method) =>
      (...args: unknown[]) => {
        const span: Span = { kind, name: prop, start: performance.now(), end: 0, status: "ok" };
        const done = (status: Span["status"]) => {
          span.end = performance.now();
          span.status = status;
          calls.push(span);
        };
        const result = value.apply(target, args);
        if (prop === "list") return timedList(result as AsyncGenerator<CheckpointTuple>, span, serde, done);
        return Promise.resolve(result).then(
          (out: unknown) => {
            done("ok");
            if (kind === "cache" && prop === "get") {
              span.keys = (args[0] as unknown[]).length;
              span.hits = (out as unknown[]).length;
            } else if (serde) {
              return checkpointBytes(serde, prop, args, out).then((bytes) => {
                span.bytes = bytes;
                return out;
              });
            }
            return out;
          },
          (err: unknown) => {
            done("error");
            throw err;
          },
        );
      };
    return new Proxy(target, {
      get(obj, prop, receiver) {
        const value: unknown = Reflect.get(obj, prop, receiver);
        if (typeof value !== "function") return value;
        const known = methods.get(prop);
        if (known?.value === value) return known.method;
        const method = typeof prop === "string" && ops.has(prop) ? timedOp(prop, value as Method) : value.bind(obj);
        methods.set(prop, { value: value as Method, method });
        return method;
      },
    });
  }
}

/**
 * `list` is an async generator: timed from the call to its last item (or to the consumer's `break`),
 * less the time spent counting bytes.
 */
async function* timedList(
  gen: AsyncGenerator<CheckpointTuple>,
  span: Span,
  serde: SerializerProtocol | undefined,
  done: (status: Span["status"]) => void,
): AsyncGenerator<CheckpointTuple> {
  let status: Span["status"] = "ok";
  let counting = 0;
  const sizes: (number | undefined)[] = [];
  try {
    for await (const tuple of gen) {
      if (serde) {
        const t0 = performance.now();
        sizes.push(await checkpointBytes(serde, "list", [], tuple));
        counting += performance.now() - t0;
      }
      yield tuple;
    }
  } catch (err) {
    status = "error";
    throw err;
  } finally {
    done(status);
    span.end -= counting;
    if (serde && !sizes.includes(undefined)) span.bytes = sizes.reduce((a: number, b) => a + b!, 0);
  }
}

type Method = (...args: unknown[]) => unknown;

/** `callbacks` (an array, a CallbackManager or none) with `handler` added, without changing them. */
function withHandler(callbacks: unknown, handler: ProfilerHandler): unknown {
  if (callbacks === undefined) return [handler];
  if (Array.isArray(callbacks)) return [...callbacks, handler];
  const manager = (callbacks as { copy(): { addHandler(h: unknown): void } }).copy();
  manager.addHandler(handler);
  return manager;
}

function table(rows: Summary[]): string {
  const columns = summaryColumns(rows);
  const header = ["name", ...columns.header];
  const body = rows.map((r) => [r.name, ...columns.cells(r)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(header), ...body.map(line)].join("\n");
}

const SLOWEST_STEPS = 5;
const BAR = 40;

/** The slowest supersteps, each task a bar placed within its step, so that overlap shows. */
function stepTimeline(steps: Superstep[]): string {
  const slowest = [...steps].sort((a, b) => b.end - b.start - (a.end - a.start)).slice(0, SLOWEST_STEPS);
  const width = Math.max(...slowest.flatMap((s) => s.tasks.map((t) => t.name.length)));
  const out = [`Slowest supersteps (${slowest.length} of ${steps.length})`];
  for (const s of slowest) {
    const ms = Math.max(s.end - s.start, 1e-6);
    const overlap = s.overlapMs > 0 ? `, overlapping ${s.overlapMs.toFixed(2)} ms` : "";
    out.push(`step ${s.step}  ${ms.toFixed(2)} ms  ${s.tasks.length} task${s.tasks.length > 1 ? "s" : ""}${overlap}`);
    for (const t of s.tasks) {
      const from = Math.min(BAR - 1, Math.floor(((t.start - s.start) / ms) * BAR));
      const to = Math.min(BAR, Math.max(from + 1, Math.round(((t.end - s.start) / ms) * BAR)));
      const bar = " ".repeat(from) + "█".repeat(to - from) + " ".repeat(BAR - to);
      const mark = t.status === "ok" ? "" : ` ${t.status}`;
      out.push(`  ${t.name.padEnd(width)} |${bar}| ${(t.end - t.start).toFixed(2)} ms${mark}`);
    }
  }
  return out.join("\n");
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
