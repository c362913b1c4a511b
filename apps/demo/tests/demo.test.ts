import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, expect, test } from "vitest";

import { runDemo } from "../src/demo.js";

const dataDir = mkdtempSync(join(tmpdir(), "flg-demo-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

test("the demo runs its conversations across a restart, profiles them and compares both sides", async () => {
  const lines: string[] = [];
  const { ours, official, traceFile, htmlFile } = await runDemo({
    dataDir,
    compare: true,
    out: (line) => lines.push(line),
    progress: false,
  });
  const output = lines.join("\n");

  for (const run of [ours, official!]) {
    // Every review was answered, and every conversation ended in finalize.
    for (const t of run.threads) {
      expect(t.state.approved).toBe(true);
      expect([...t.before, ...t.after].at(-1)).toBe("finalize");
      expect(t.state.messages.at(-1)?.name).toBe("editor");
      expect(t.state.answer).toContain("Sources:\n[1] https://kb.example.org/");
    }
    // A revision asked for is a second draft.
    const revised = run.threads.find((t) => t.thread === "wal-vs-rollback")!;
    expect(revised.state.messages.filter((m) => m.name === "writer")).toHaveLength(2);
    // The conversation left at its interrupt is found there by the new saver, and continues from it.
    expect(run.resumed.foundAt).toBe(run.resumed.stoppedAt);
    expect(run.resumed.next).toEqual(["review"]);
    expect(run.resumed.ranAfter).toEqual(["review", "finalize"]);
    const across = run.threads.find((t) => t.thread === run.resumed.thread)!;
    expect(across.before).toEqual(["planner", "research", "research", "research", "research", "writer", "interrupt"]);
    expect(across.after).toEqual(["reviewer: approve", "review", "finalize"]);
  }
  // The deterministic model and search give both sides the same answers.
  expect(official!.threads.map((t) => t.state.answer)).toEqual(ours.threads.map((t) => t.state.answer));

  // After the restart, ours answers from its cache files: every research task on a topic seen before
  // (4 + 4 + 2), and the repeated question's plan and first draft. The official caches start empty.
  expect(ours.before.researchFromCache).toBe(0);
  expect(ours.after.researchFromCache).toBe(10);
  const again = ours.threads.find((t) => t.thread === "wal-vs-rollback-again")!;
  expect(again.after.filter((p) => p === "research (cache)")).toHaveLength(4);
  expect(ours.after.asks - ours.after.modelCalls).toBeGreaterThanOrEqual(2);
  expect(official!.after.researchFromCache).toBeLessThan(ours.after.researchFromCache);
  expect(official!.after.searches).toBeGreaterThan(ours.after.searches);

  // The profile, its files and the comparison are there.
  const trace = JSON.parse(readFileSync(traceFile, "utf8")) as { traceEvents: { cat?: string }[] };
  const kinds = new Set(trace.traceEvents.map((e) => e.cat));
  for (const kind of ["node", "llm", "checkpointer", "cache"]) expect(kinds).toContain(kind);
  expect(readFileSync(htmlFile, "utf8")).toMatch(/^<!doctype html>/i);
  expect(output).toContain(`Chrome trace (Perfetto, chrome://tracing): ${traceFile}`);
  expect(output).toContain(`HTML report: ${htmlFile}`);
  expect(output).toMatch(/^FakeResearchModel\s+40\s/m);
  expect(output).toMatch(/^\s+ours\s+official\s+official \/ ours$/m);
  expect(output).toMatch(/^checkpointer, all calls\s+\S+ m?s\s+\S+ m?s\s+\d+\.\d\dx$/m);
  expect(output).toMatch(/^after the restart: research tasks from the node cache\s+10\/12\s+\d+\/12\s*$/m);
});
