import { writeFile } from "node:fs/promises";

import type { BaseCache, BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";

import { ProfilerHandler } from "./handler.js";
import { renderHtml } from "./html.js";
import { recommendations } from "./recommendations.js";
import { summarize, type Span, type Summary } from "./spans.js";

const SAVER_OPS = new Set(["put", "putWrites", "getTuple", "list"]);
const CACHE_OPS = new Set(["get", "set", "clear"]);
const RUN_METHODS = new Set(["invoke", "stream", "streamEvents", "batch"]);

export interface ProfileJSON {
  spans: Span[];
  nodes: Summary[];
  llm: Summary[];
  checkpointer: Summary[];
  cache: Summary[];
  cacheHits: { keys: number; hits: number };
}

/**
 * Times real LangGraph runs without changes to the graph's code: per node (from LangChain callbacks),
 * per model call, and per checkpointer and cache call (through wrappers that keep their interfaces).
 */
export class Profiler {
  readonly handler = new ProfilerHandler();
  readonly #calls: Span[] = [];

  /**
   * The graph, with this profiler's `handler` added to the callbacks of every `invoke`, `stream`,
   * `streamEvents` and `batch`; every other property is the graph's own.
   */
  wrap<G extends object>(graph: G): G {
    const handler = this.handler;
    return new Proxy(graph, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== "function") return value;
        // Bound to the graph itself, whose methods may read its private fields.
        if (typeof prop !== "string" || !RUN_METHODS.has(prop)) return value.bind(target);
        return (input: unknown, config?: Record<string, unknown>, ...rest: unknown[]) =>
          value.call(target, input, withHandler(config, handler), ...rest);
      },
    });
  }

  /** The saver, with `put`, `putWrites`, `getTuple` and `list` timed. */
  checkpointer<S extends BaseCheckpointSaver>(saver: S): S {
    return this.#timed(saver, SAVER_OPS, "checkpointer");
  }

  /** The cache, with `get`, `set` and `clear` timed, and hits counted. */
  cache<C extends BaseCache>(cache: C): C {
    return this.#timed(cache, CACHE_OPS, "cache");
  }

  get spans(): Span[] {
    return [...this.handler.spans, ...this.#calls].sort((a, b) => a.start - b.start);
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
    };
  }

  /** A text table per kind: count, total, mean, p50, p95, p99 and max, slowest total first. */
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
    const calls = this.#calls;
    return new Proxy(target, {
      get(obj, prop, receiver) {
        const value = Reflect.get(obj, prop, receiver);
        if (typeof value !== "function") return value;
        if (typeof prop !== "string" || !ops.has(prop)) return value.bind(obj);
        return (...args: unknown[]) => {
          const span: Span = { kind, name: prop, start: performance.now(), end: 0, status: "ok" };
          const done = (status: Span["status"]) => {
            span.end = performance.now();
            span.status = status;
            calls.push(span);
          };
          const result = value.apply(obj, args);
          if (prop === "list") return timedGenerator(result as AsyncGenerator<unknown>, done);
          return Promise.resolve(result).then(
            (out: unknown) => {
              if (kind === "cache" && prop === "get") {
                span.keys = (args[0] as unknown[]).length;
                span.hits = (out as unknown[]).length;
              }
              done("ok");
              return out;
            },
            (err: unknown) => {
              done("error");
              throw err;
            },
          );
        };
      },
    });
  }
}

/** `list` is an async generator: timed from the call to its last item. */
async function* timedGenerator<T>(gen: AsyncGenerator<T>, done: (status: Span["status"]) => void): AsyncGenerator<T> {
  try {
    yield* gen;
    done("ok");
  } catch (err) {
    done("error");
    throw err;
  }
}

function withHandler(config: Record<string, unknown> | undefined, handler: ProfilerHandler): Record<string, unknown> {
  const callbacks = config?.callbacks;
  if (callbacks === undefined) return { ...config, callbacks: [handler] };
  if (Array.isArray(callbacks)) return { ...config, callbacks: [...callbacks, handler] };
  // A CallbackManager: copied, so that the caller's is not changed.
  const manager = (callbacks as { copy(): { addHandler(h: unknown): void } }).copy();
  manager.addHandler(handler);
  return { ...config, callbacks: manager };
}

function table(rows: Summary[]): string {
  const header = ["name", "count", "total ms", "mean ms", "p50 ms", "p95 ms", "p99 ms", "max ms"];
  const body = rows.map((r) => [
    r.name,
    String(r.count),
    ...[r.totalMs, r.meanMs, r.p50Ms, r.p95Ms, r.p99Ms, r.maxMs].map((ms) => ms.toFixed(2)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(header), ...body.map(line)].join("\n");
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
