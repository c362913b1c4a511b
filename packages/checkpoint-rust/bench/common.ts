/**
 * What both checkpoint benchmarks share: the savers under test, each on a file of its own (two
 * SQLite copies in one process must never share one), and the statistics.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

import type { RunnableConfig } from "@langchain/core/runnables";
import { MemorySaver, type BaseCheckpointSaver, type Checkpoint } from "@langchain/langgraph-checkpoint";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

// The build users run, not the source through tsx (which adds a naming helper call to each closure).
import { RustSqliteSaver } from "../dist/index.js";

export type Kind = "none" | "NullSaver" | "MemorySaver" | "SqliteSaver" | "RustSqliteSaver";

/**
 * Stores nothing: a run's overhead with it is LangGraph's own work for a checkpointer (creating,
 * copying and versioning checkpoints), which every saver pays on top of its own.
 */
class NullSaver extends MemorySaver {
  async put(config: RunnableConfig, checkpoint: Checkpoint): Promise<RunnableConfig> {
    return { configurable: { ...config.configurable, checkpoint_id: checkpoint.id } };
  }

  async putWrites(): Promise<void> {}
}

export interface Made {
  saver: BaseCheckpointSaver | undefined;
  files: string[];
  close: () => Promise<void>;
}

const dir = mkdtempSync(join(tmpdir(), "flg-bench-"));
let fileNo = 0;

export async function make(kind: Kind): Promise<Made> {
  const path = join(dir, `${kind}-${fileNo++}.db`);
  const files = [path, `${path}-wal`, `${path}-shm`];
  switch (kind) {
    case "none":
      return { saver: undefined, files: [], close: async () => {} };
    case "NullSaver":
      return { saver: new NullSaver(), files: [], close: async () => {} };
    case "MemorySaver":
      return { saver: new MemorySaver(), files: [], close: async () => {} };
    case "SqliteSaver": {
      const saver = SqliteSaver.fromConnString(path);
      return { saver, files, close: async () => saver.db.close() };
    }
    case "RustSqliteSaver": {
      const saver = new RustSqliteSaver({ path });
      await saver.setup();
      return { saver, files, close: () => saver.close() };
    }
  }
}

/** Removes the benchmark's database files. */
export function cleanUp() {
  rmSync(dir, { recursive: true, force: true });
}

export function diskBytes(files: string[]): number {
  let total = 0;
  for (const f of files) {
    try {
      total += statSync(f).size;
    } catch {
      // -wal / -shm may not exist.
    }
  }
  return total;
}

/**
 * Reads a thread's whole state history after collecting garbage: how long it took, how many states
 * it holds and the newest state's values.
 */
export async function timeStateHistory(
  app: { getStateHistory(config: RunnableConfig): AsyncIterable<{ values: unknown }> },
  threadId: string,
): Promise<{ ms: number; states: number; newest: unknown }> {
  collectGarbage();
  const t0 = performance.now();
  let states = 0;
  let newest: unknown;
  for await (const snapshot of app.getStateHistory({ configurable: { thread_id: threadId } })) {
    if (states++ === 0) newest = snapshot.values;
  }
  return { ms: performance.now() - t0, states, newest };
}

/** Collects the previous run's garbage before the next one, when node runs with --expose-gc. */
export function collectGarbage() {
  (globalThis as { gc?: () => void }).gc?.();
}

export const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** The median of `f` over the samples it is defined for. */
export function medianOf<S>(samples: S[], f: (s: S) => number | undefined): number | undefined {
  const xs = samples.map(f).filter((x): x is number => x !== undefined);
  return xs.length ? median(xs) : undefined;
}

export const fmt = (n: number | undefined, digits = 1) => (n === undefined ? "–" : n.toFixed(digits));
export const ratio = (peer: number | undefined, ours: number | undefined) =>
  peer === undefined || ours === undefined ? "–" : ours === 0 ? "∞" : `${(peer / ours).toFixed(1)}x`;
export const mb = (n: number | undefined) => (n === undefined ? "–" : `${(n / 1e6).toFixed(2)} MB`);

/** Runs a benchmark's `main`, then removes its files whatever happened. */
export function run(main: () => Promise<void>) {
  main()
    .finally(cleanUp)
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
}
