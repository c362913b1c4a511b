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
  status: "ok" | "error" | "interrupt";
  /** LLM calls: tokens, where the model reports them. */
  tokens?: { input: number; output: number; total: number };
  /** Cache reads: how many keys were asked for and found. */
  keys?: number;
  hits?: number;
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
}

/** Count, total, mean, percentiles (nearest rank) and max of the spans' durations, per name, slowest total first. */
export function summarize(spans: Span[]): Summary[] {
  const byName = new Map<string, number[]>();
  for (const s of spans) {
    const list = byName.get(s.name) ?? [];
    list.push(s.end - s.start);
    byName.set(s.name, list);
  }
  const rows = [...byName].map(([name, ms]) => {
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
    };
  });
  return rows.sort((a, b) => b.totalMs - a.totalMs);
}
