/**
 * Runs the workload on fast-langgraph's pieces under the profiler and prints what happened, the
 * profile and its recommendations; with `compare`, runs it again on the official pieces and prints
 * the two side by side.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { compareSides } from "./compare.js";
import { ours } from "./sides.js";
import { CONVERSATIONS, describe, profiledRun, type RunResult, type Work } from "./workload.js";

export interface DemoOptions {
  /** Wiped first: the demo starts from empty files. */
  dataDir: string;
  compare: boolean;
  out?: (line: string) => void;
  /** A progress bar on stderr; default true. */
  progress?: boolean;
}

export interface DemoResult {
  ours: RunResult;
  official?: RunResult;
  traceFile: string;
  htmlFile: string;
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const out = options.out ?? ((line: string) => console.log(line));
  const progress = options.progress !== false;
  rmSync(options.dataDir, { recursive: true, force: true });
  mkdirSync(options.dataDir, { recursive: true });
  out("fast-langgraph demo: a research assistant with a fake model and search (no network, no API key)");
  out(`Pieces: ${ours.pieces}, and the profiler. Files in ${options.dataDir}\n`);

  const { run, profiler } = await profiledRun(ours, options.dataDir, progress);
  printRun(run, out);

  out("Profile (profiler.report()):\n");
  out(profiler.report());
  out("Recommendations (profiler.recommendations()):");
  for (const r of profiler.recommendations()) out(`- ${r}`);
  if (profiler.recommendations().length === 0) out("- none");
  const traceFile = join(options.dataDir, "trace.json");
  const htmlFile = join(options.dataDir, "profile.html");
  writeFileSync(traceFile, JSON.stringify(profiler.toChromeTrace()));
  await profiler.writeHtml(htmlFile);
  out(`\nChrome trace (Perfetto, chrome://tracing): ${traceFile}`);
  out(`HTML report: ${htmlFile}\n`);

  if (!options.compare) return { ours: run, traceFile, htmlFile };
  const official = await compareSides(run, profiler, { dataDir: options.dataDir, out, progress });
  return { ours: run, official, traceFile, htmlFile };
}

const width = Math.max(...CONVERSATIONS.map((c) => c.thread.length));

function describeWork(work: Work): string {
  return (
    `  ${work.modelCalls} model calls (${work.asks - work.modelCalls} of ${work.asks} answered by the LLM cache), ` +
    `${work.searches} searches (${work.researchFromCache} of ${work.researchTasks} research tasks answered by the node cache)`
  );
}

function printRun(run: RunResult, out: (line: string) => void): void {
  const started = run.threads.filter((t) => t.before.length > 0);
  out(`Before the restart: ${started.length} conversations at once`);
  for (const t of started) {
    const waiting = t.after.length > 0 ? "   (left waiting for its review)" : "";
    out(`  ${t.thread.padEnd(width)}  ${describe(t.before)}${waiting}`);
  }
  out(describeWork(run.before));

  const { resumed } = run;
  out("\nRestart: the saver, the node cache and the LLM cache are closed; new ones open the same files.");
  out(
    `  ${resumed.thread} stopped at checkpoint ${resumed.stoppedAt}; the new saver finds it at ` +
      `${resumed.foundAt === resumed.stoppedAt ? "that same checkpoint" : `checkpoint ${resumed.foundAt}`}, next: ${resumed.next.join(", ")}`,
  );
  out("After the restart:");
  for (const t of run.threads.filter((t) => t.after.length > 0)) {
    out(`  ${t.thread.padEnd(width)}  ${describe(t.after)}`);
  }
  out(describeWork(run.after));

  out("\nFinal answers:");
  for (const { thread, state } of run.threads) {
    const drafts = state.messages.filter((m) => m.name === "writer").length;
    const first = state.answer.split("\n")[0];
    out(
      `  ${thread.padEnd(width)}  ${state.approved ? "approved" : "NOT approved"}, ${drafts} draft${drafts > 1 ? "s" : ""}, ` +
        `${state.sources.size} sources, ${state.messages.length} messages: "${first.slice(0, 60)}…"`,
    );
  }
  out(
    `\nWall time ${(run.wallMs / 1000).toFixed(2)} s, mostly fake pauses (${(run.before.sleptMs + run.after.sleptMs).toFixed(0)} ms of them in all, many in parallel).\n`,
  );
}
