/** One timed piece of a run, on `performance.now()`'s clock (milliseconds). */
export interface Span {
  kind: "node" | "llm" | "checkpointer" | "cache";
  /** The node's name, the model's name, or the operation (`put`, `getTuple`, `get`...). */
  name: string;
  start: number;
  end: number;
  /** Nodes: the superstep, the task's namespace (`parent|node:task-id` in a subgraph) and the attempt. */
  step?: number;
  namespace?: string;
  attempt?: number;
  /** Nodes: which superstep of which run (the id of the checkpoint it started from, where known). */
  superstep?: string;
  status: "ok" | "error" | "interrupt";
  /** LLM calls: tokens, where the model reports them. */
  tokens?: { input: number; output: number; total: number };
  /** Cache reads: how many keys were asked for and found. */
  keys?: number;
  hits?: number;
  /** Checkpointer calls: the size of the values they carried, serialized with the saver's `serde`. */
  bytes?: number;
}

/**
 * A node task's span, opened now, from the metadata LangGraph gives each task; `attempts` counts
 * the tries of each task (a retry runs under the same namespace).
 */
export function taskSpan(
  name: string,
  metadata: Record<string, unknown>,
  attempts: Map<string, number>,
  checkpointId?: string,
): Span {
  const namespace = String(metadata.langgraph_checkpoint_ns ?? metadata.checkpoint_ns ?? name);
  const attempt = (attempts.get(namespace) ?? 0) + 1;
  attempts.set(namespace, attempt);
  const step = Number(metadata.langgraph_step);
  return {
    kind: "node",
    name,
    start: performance.now(),
    end: 0,
    step,
    namespace,
    attempt,
    // Without the checkpoint id (callbacks do not carry it), the thread and step tell supersteps apart.
    superstep: checkpointId ?? `${String(metadata.thread_id ?? "")}#${step}`,
    status: "ok",
  };
}

/** One superstep of the top-level graph: its tasks, when each ran, and how long two or more overlapped. */
export interface Superstep {
  step: number;
  start: number;
  end: number;
  tasks: Span[];
  overlapMs: number;
}

/**
 * The top-level graph's supersteps, in the order they ran. A step resumed after an interrupt runs
 * again from the same checkpoint: the tasks that start after an interrupted one ended are that later
 * run, shown as a step of its own rather than one stretched over the wait for the human.
 */
export function supersteps(spans: Span[]): Superstep[] {
  const byKey = new Map<string, Span[][]>();
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    if (s.kind !== "node" || s.superstep === undefined || s.namespace?.includes("|")) continue;
    const runs = byKey.get(s.superstep) ?? [];
    const current = runs.at(-1);
    if (current && !current.some((t) => t.status === "interrupt" && t.end <= s.start)) current.push(s);
    else runs.push([s]);
    byKey.set(s.superstep, runs);
  }
  return [...byKey.values()]
    .flat()
    .map((tasks) => ({
      step: tasks[0].step ?? 0,
      start: Math.min(...tasks.map((t) => t.start)),
      end: Math.max(...tasks.map((t) => t.end)),
      tasks,
      overlapMs: overlap(tasks),
    }))
    .sort((a, b) => a.start - b.start);
}

/** Time during which at least two of the spans were running. */
function overlap(spans: Span[]): number {
  const edges = spans
    .flatMap((s) => [[s.start, 1] as const, [s.end, -1] as const])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let running = 0;
  let since = 0;
  let total = 0;
  for (const [t, delta] of edges) {
    if (running >= 2) total += t - since;
    since = t;
    running += delta;
  }
  return total;
}

/** How a span ended when its code threw: LangGraph's interrupts are not failures. */
export function failure(err: unknown): Span["status"] {
  const name = (err as { name?: string } | undefined)?.name;
  return name === "GraphInterrupt" || name === "NodeInterrupt" ? "interrupt" : "error";
}

export interface Summary {
  name: string;
  count: number;
  totalMs: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Checkpointer calls: bytes carried, in total, where counted. */
  bytes?: number;
}

/**
 * The columns of a table of summaries, as `report()` and the HTML page show them: a KB column only
 * when bytes were counted (`new Profiler({ bytes: true })`), "-" in it for a row without them.
 */
export function summaryColumns(rows: Summary[]): { header: string[]; cells(s: Summary): string[] } {
  const withBytes = rows.some((r) => r.bytes !== undefined);
  const header = ["count", "total ms", "mean ms", "p50 ms", "p95 ms", "p99 ms", "max ms"];
  return {
    header: withBytes ? [...header, "KB"] : header,
    cells: (s) => [
      String(s.count),
      ...[s.totalMs, s.meanMs, s.p50Ms, s.p95Ms, s.p99Ms, s.maxMs].map((ms) => ms.toFixed(2)),
      ...(withBytes ? [s.bytes === undefined ? "-" : (s.bytes / 1024).toFixed(1)] : []),
    ],
  };
}

/** Count, total, mean, percentiles (nearest rank) and max of the spans' durations, per name, slowest total first. */
export function summarize(spans: Span[]): Summary[] {
  const byName = new Map<string, number[]>();
  const bytes = new Map<string, number>();
  for (const s of spans) {
    const list = byName.get(s.name) ?? [];
    list.push(s.end - s.start);
    byName.set(s.name, list);
    if (s.bytes !== undefined) bytes.set(s.name, (bytes.get(s.name) ?? 0) + s.bytes);
  }
  const rows = [...byName].map(([name, ms]): Summary => {
    ms.sort((a, b) => a - b);
    const rank = (p: number) => ms[Math.min(ms.length - 1, Math.ceil((p / 100) * ms.length) - 1)];
    const totalMs = ms.reduce((a, b) => a + b, 0);
    return {
      name,
      count: ms.length,
      totalMs,
      meanMs: totalMs / ms.length,
      p50Ms: rank(50),
      p95Ms: rank(95),
      p99Ms: rank(99),
      maxMs: ms[ms.length - 1],
      ...(bytes.has(name) ? { bytes: bytes.get(name) } : {}),
    };
  });
  return rows.sort((a, b) => b.totalMs - a.totalMs);
}
