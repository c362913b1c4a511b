/**
 * The same workload on the official pieces, side by side with ours. Fake pauses are most of the wall
 * time, so the comparison also times runs with the pauses off, and the checkpointer and the cache
 * alone (from a profiler on each side).
 */
import { mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

import type { Profiler } from "@fast-langgraph/profiler";

import { Progress } from "./progress.js";
import { official, ours, type Side } from "./sides.js";
import { profiledRun, runWorkload, type RunResult } from "./workload.js";

/** Runs of each side with fake pauses off, in alternating order so that neither always runs warm. */
const ROUNDS = 7;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`);
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

/** Total time and count of a profiler's checkpointer or cache calls of these names. */
function calls(profiler: Profiler, kind: "checkpointer" | "cache", names: string[]): { ms: number; count: number } {
  const rows = profiler.toJSON()[kind].filter((r) => names.includes(r.name));
  return { ms: rows.reduce((a, r) => a + r.totalMs, 0), count: rows.reduce((a, r) => a + r.count, 0) };
}

async function withoutPauses(dataDir: string, progress: boolean): Promise<Record<Side["name"], RunResult[]>> {
  const runs: Record<Side["name"], RunResult[]> = { ours: [], official: [] };
  const bar = progress ? new Progress("both: runs without fake pauses", 2 * ROUNDS) : undefined;
  for (let i = 0; i < ROUNDS; i++) {
    for (const side of i % 2 ? [official, ours] : [ours, official]) {
      const dir = join(dataDir, "no-pauses", `${side.name}-${i}`);
      mkdirSync(dir, { recursive: true });
      runs[side.name].push(await runWorkload({ side, dir, latency: false }));
      bar?.step(`${side.name}, round ${i + 1}`);
    }
  }
  bar?.end();
  rmSync(join(dataDir, "no-pauses"), { recursive: true, force: true });
  return runs;
}

export async function compareSides(
  oursRun: RunResult,
  oursProfiler: Profiler,
  options: { dataDir: string; out: (line: string) => void; progress: boolean },
): Promise<RunResult> {
  const { dataDir, out } = options;
  const dir = join(dataDir, "official");
  mkdirSync(dir, { recursive: true });
  const { run: officialRun, profiler: officialProfiler } = await profiledRun(official, dir, options.progress);
  const quick = await withoutPauses(dataDir, options.progress);

  const rows: [string, string, string, string][] = [];
  /** A row of measured times or sizes, with official / ours. */
  const measured = (label: string, o: number, f: number, format: (v: number) => string, extra = ["", ""]) =>
    rows.push([label, format(o) + extra[0], format(f) + extra[1], o > 0 ? `${(f / o).toFixed(2)}x` : "-"]);
  const counted = (label: string, o: string, f: string) => rows.push([label, o, f, ""]);

  measured("wall time, fake pauses on", oursRun.wallMs, officialRun.wallMs, ms);
  const fakes = (r: RunResult) =>
    `${r.before.modelCalls + r.after.modelCalls} / ${r.before.searches + r.after.searches}`;
  counted("  fake model calls / searches made", fakes(oursRun), fakes(officialRun));
  // The median, and the range beside it: where the two sides' ranges overlap, the ratio is noise.
  const noisy: string[] = [];
  for (const [label, of] of [
    ["wall time", (r: RunResult) => r.wallMs],
    ["process CPU time", (r: RunResult) => r.cpuMs],
  ] as const) {
    const [o, f] = [quick.ours.map(of), quick.official.map(of)];
    const range = (xs: number[]) => ` (${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)} ms)`;
    measured(`${label}, fake pauses off, median of ${ROUNDS} (range)`, median(o), median(f), ms, [range(o), range(f)]);
    if (Math.max(Math.min(...o), Math.min(...f)) <= Math.min(Math.max(...o), Math.max(...f))) noisy.push(label);
  }
  for (const name of ["put", "putWrites", "getTuple", "list"]) {
    const [o, f] = [calls(oursProfiler, "checkpointer", [name]), calls(officialProfiler, "checkpointer", [name])];
    measured(`checkpointer ${name} (calls)`, o.ms, f.ms, ms, [` (${o.count})`, ` (${f.count})`]);
  }
  const savers = [oursProfiler, officialProfiler].map((p) =>
    calls(p, "checkpointer", ["put", "putWrites", "getTuple", "list"]),
  );
  measured("checkpointer, all calls", savers[0].ms, savers[1].ms, ms);
  const caches = [oursProfiler, officialProfiler].map((p) => calls(p, "cache", ["get", "set", "clear"]));
  measured("node cache, all calls", caches[0].ms, caches[1].ms, ms, [` (${caches[0].count})`, ` (${caches[1].count})`]);
  measured("checkpoint database on disk", oursRun.dbBytes, officialRun.dbBytes, kb);
  const nodeHits = (r: RunResult) => `${r.after.researchFromCache}/${r.after.researchTasks}`;
  counted("after the restart: research tasks from the node cache", nodeHits(oursRun), nodeHits(officialRun));
  const llmHits = (r: RunResult) => `${r.after.asks - r.after.modelCalls}/${r.after.asks}`;
  counted("after the restart: model calls answered by the LLM cache", llmHits(oursRun), llmHits(officialRun));

  const header: [string, string, string, string] = ["", "ours", "official", "official / ours"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("   ");
  out("Comparison: the same workload on the official pieces");
  out(`  ours:     ${ours.pieces}`);
  out(`  official: ${official.pieces}\n`);
  out(line(header));
  for (const row of rows) out(line(row));
  const redone = officialRun.after.modelCalls - oursRun.after.modelCalls;
  const researched = officialRun.after.searches - oursRun.after.searches;
  const cacheFiles = statSync(join(dataDir, "node-cache.db")).size + statSync(join(dataDir, "llm-cache.db")).size;
  out(
    [
      "",
      "official / ours: above 1 means ours took less time or space, below 1 that it took more.",
      `- With fake pauses on, wall time is mostly the pauses. After the restart the official side made ${redone} more model`,
      `  calls and ${researched} more searches than ours, because InMemoryCache and a Map do not survive a restart: that,`,
      "  not storage speed, is most of that row. Ours ran first, on a colder process.",
      "- With fake pauses off, the runs time everything else (the graph, checkpoints, caches, reducers, and the",
      "  research the official side redoes, now free). CPU time counts every thread, RustSqliteSaver's own included.",
      ...(noisy.length
        ? [
            `  In this run the two sides' ranges overlap for ${noisy.join(" and ")}: that difference is within the noise.`,
          ]
        : []),
      "- Checkpointer and cache rows are sums of call durations from a profiler on each side, fake pauses on; calls of",
      "  concurrent conversations overlap. SqliteSaver's calls run synchronously: their durations are time the event loop",
      "  was blocked. RustSqliteSaver's run on a thread of its own: their durations include the hand-off and the wait for",
      "  a busy event loop to take the result, time in which the loop ran other work.",
      `- Ours also keeps its node and LLM caches in files (${kb(cacheFiles)}); the official caches are in memory.`,
    ].join("\n"),
  );
  return officialRun;
}
