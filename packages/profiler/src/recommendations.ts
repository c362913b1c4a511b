import type { ProfileJSON } from "./profiler.js";

const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(0)}%`;
const ms = (v: number) => `${v.toFixed(1)} ms`;

/** Findings the numbers back, most telling first; each names its figures. */
export function recommendations(profile: ProfileJSON): string[] {
  const found: string[] = [];
  const nodeTotal = profile.nodes.reduce((a, n) => a + n.totalMs, 0);
  const top = profile.nodes[0];
  if (top && profile.nodes.length > 1 && top.totalMs >= 0.5 * nodeTotal) {
    found.push(
      `Node "${top.name}" took ${pct(top.totalMs, nodeTotal)} of the time spent in nodes (${ms(top.totalMs)} over ${top.count} runs, p95 ${ms(top.p95Ms)}): start there.`,
    );
  }
  const saverTotal = profile.checkpointer.reduce((a, s) => a + s.totalMs, 0);
  if (saverTotal > 0 && saverTotal >= nodeTotal) {
    found.push(
      `Checkpointing took ${ms(saverTotal)}, more than the nodes themselves (${ms(nodeTotal)}): a faster checkpointer, or fewer or smaller channel values, would help most.`,
    );
  }
  const puts = profile.spans.filter((s) => s.kind === "checkpointer" && s.name === "put");
  if (puts.length >= 9) {
    const third = Math.floor(puts.length / 3);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const times = puts.map((s) => s.end - s.start);
    const [first, last] = [mean(times.slice(0, third)), mean(times.slice(-third))];
    if (last >= 2 * first && last - first >= 0.2) {
      const kb = puts.map((s) => (s.bytes ?? NaN) / 1024);
      const [firstKb, lastKb] = [mean(kb.slice(0, third)), mean(kb.slice(-third))];
      const size = Number.isNaN(firstKb + lastKb) ? "" : ` (${lastKb.toFixed(1)} KB against ${firstKb.toFixed(1)} KB)`;
      found.push(
        `Checkpoint writes grow with the run: the last third of puts took ${ms(last)} each, the first third ${ms(first)}${size}. Something in the state grows every step (a message list?); it is written whole each time.`,
      );
    }
  }
  const { keys, hits } = profile.cacheHits;
  if (keys >= 5 && hits / keys < 0.2) {
    found.push(
      `The node cache answered ${hits} of ${keys} lookups (${pct(hits, keys)}): its keys may include data that changes every run (ids, timestamps); set a keyFunc on the cached nodes.`,
    );
  }
  const failed = profile.spans.filter((s) => s.kind === "node" && s.status === "error");
  if (failed.length > 0) {
    const names = [...new Set(failed.map((s) => s.name))].join(", ");
    const lost = failed.reduce((a, s) => a + (s.end - s.start), 0);
    found.push(`${failed.length} node attempts failed (${names}), costing ${ms(lost)} before their retries.`);
  }
  for (const n of profile.nodes) {
    if (n.count >= 20 && n.p99Ms >= 5 * n.p50Ms && n.p99Ms - n.p50Ms >= 5) {
      found.push(`Node "${n.name}" has a long tail: p99 ${ms(n.p99Ms)} against a median of ${ms(n.p50Ms)}.`);
    }
  }
  return found;
}
