import { statSync } from "node:fs";

import { describe, expect, it } from "vitest";

import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import type { CheckpointTuple } from "@langchain/langgraph-checkpoint";

import { FastLangGraphError, RustSqliteSaver, type RustSqliteSaverStats } from "../src/index.js";
import { tempSavers } from "./fixtures/temp-savers.js";

// stats() is checked against what list() and LangGraph report for a real graph that carries a large
// document it never changes: stored once, it would be in every checkpoint with SqliteSaver.

const { path: dbPath, saverAt } = tempSavers("stats");

const STEPS = 10;
const doc = "lorem ipsum dolor sit amet, ".repeat(4000).slice(0, 100_000);
// The serialized document: a JSON string.
const docBytes = JSON.stringify(doc).length;

const State = Annotation.Root({ doc: Annotation<string>, count: Annotation<number> });

/** `load` writes the document once; `step` then runs STEPS times and leaves it unchanged. */
function build(checkpointer: RustSqliteSaver) {
  return new StateGraph(State)
    .addNode("load", () => ({ doc }))
    .addNode("step", (s) => ({ count: s.count + 1 }))
    .addEdge(START, "load")
    .addEdge("load", "step")
    .addConditionalEdges("step", (s) => (s.count < STEPS ? "step" : END))
    .compile({ checkpointer });
}

async function collect<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iter) out.push(item);
  return out;
}

/** The counts that list() reports for the whole database. */
function listed(tuples: CheckpointTuple[]) {
  return {
    threads: new Set(tuples.map((t) => t.config.configurable?.thread_id)).size,
    checkpoints: tuples.length,
    writes: tuples.reduce((n, t) => n + (t.pendingWrites?.length ?? 0), 0),
  };
}

const counts = ({ threads, checkpoints, writes }: RustSqliteSaverStats) => ({ threads, checkpoints, writes });

describe.each([
  ["on a file", () => saverAt(dbPath())],
  ["in memory", () => new RustSqliteSaver()],
])("stats() %s", (where, open) => {
  it("is all zeros and a ratio of 1 for an empty database", async () => {
    const saver = open();
    const { fileBytes, ...rest } = await saver.stats();
    expect(rest).toEqual({ threads: 0, checkpoints: 0, writes: 0, storedBytes: 0, logicalBytes: 0, dedupRatio: 1 });
    // The empty tables' pages.
    expect(fileBytes).toBeGreaterThan(0);
    await saver.close();
  });

  it("agrees with list() and LangGraph, and counts the unchanged document once stored", async () => {
    const saver = open();
    const graph = build(saver);
    const config = (thread_id: string) => ({ configurable: { thread_id }, recursionLimit: STEPS + 5 });
    for (const thread of ["a", "b"]) {
      const out = await graph.invoke({ count: 0 }, config(thread));
      expect(out).toEqual({ doc, count: STEPS });
    }

    const stats = await saver.stats();
    const tuples = await collect(saver.list({}));
    expect(counts(stats)).toEqual(listed(tuples));
    expect(stats.threads).toBe(2);
    let history = 0;
    for (const thread of ["a", "b"]) history += (await collect(graph.getStateHistory(config(thread)))).length;
    expect(stats.checkpoints).toBe(history);

    // Per thread, the document is stored twice: the write of `load` and the channel's one blob.
    // Logically it is in that write and in every checkpoint that holds it.
    const holding = tuples.filter((t) => t.checkpoint.channel_values.doc === doc).length;
    expect(holding).toBe(2 * (STEPS + 1));
    expect(stats.storedBytes).toBeGreaterThanOrEqual(4 * docBytes);
    expect(stats.storedBytes).toBeLessThan(4 * docBytes + 50_000);
    expect(stats.logicalBytes).toBeGreaterThanOrEqual((holding + 2) * docBytes);
    expect(stats.logicalBytes).toBeLessThan((holding + 2) * docBytes + 100_000);
    expect(stats.dedupRatio).toBe(stats.logicalBytes / stats.storedBytes);
    expect(stats.dedupRatio).toBeGreaterThan(5);
    // Payloads live in the database's pages.
    expect(stats.fileBytes).toBeGreaterThan(stats.storedBytes);

    await saver.deleteThread("a");
    const after = await saver.stats();
    expect(counts(after)).toEqual(listed(await collect(saver.list({}))));
    expect(counts(after)).toEqual({ threads: 1, checkpoints: stats.checkpoints / 2, writes: stats.writes / 2 });
    // Thread a's copies of the document are gone (the rest differs in length between threads:
    // versions carry a random fraction).
    expect(after.storedBytes).toBeLessThanOrEqual(stats.storedBytes - 2 * docBytes);
    expect(after.logicalBytes).toBeLessThanOrEqual(stats.logicalBytes - (holding / 2 + 1) * docBytes);

    await saver.close();
    if (where === "on a file") {
      // Closing merges the write-ahead log into the file, which then holds exactly the pages counted.
      expect(statSync(saver.path).size).toBe(after.fileBytes);
    }
    const error = await saver.stats().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FastLangGraphError);
    expect((error as FastLangGraphError).code).toBe("FLG_CLOSED");
  });
});
