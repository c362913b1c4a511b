import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { Annotation, Command, END, MessagesAnnotation, START, StateGraph, interrupt } from "@langchain/langgraph";
import type { BaseCheckpointSaver, CheckpointTuple } from "@langchain/langgraph-checkpoint";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

import { FastLangGraphError, RustSqliteSaver, importSqliteSaver, type FastLangGraphErrorCode } from "../src/index.js";

// Histories written by the official SqliteSaver on a real file are imported into RustSqliteSaver; the
// same graph must then read the same history from both, and carry on from the imported one.
// better-sqlite3 and the addon never hold one file open at the same time (two SQLite copies in one
// process must not share a file's locks): each official saver is closed before the file is imported.

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "flg-import-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const dbPath = () => join(dir, `db-${files++}.db`);

const thread = (thread_id: string) => ({ configurable: { thread_id } });

async function collect<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iter) out.push(item);
  return out;
}

const State = Annotation.Root({
  ...MessagesAnnotation.spec,
  // Over 2 KB, so RustSqliteSaver stores it once per (channel, version) rather than in the row.
  notes: Annotation<string>,
  log: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  approved: Annotation<boolean>,
});

const failedOnce = new Set<string>();

/** A subgraph with a nested subgraph and an interrupt, then two parallel nodes, one of them flaky. */
function build(checkpointer: BaseCheckpointSaver) {
  const summarize = new StateGraph(State)
    .addNode("summarize", (s) => ({ notes: `summary of ${s.messages.length} messages `.repeat(100) }))
    .addEdge(START, "summarize")
    .compile();
  const research = new StateGraph(State)
    .addNode("search", () => ({
      messages: [
        new AIMessage({
          content: "",
          id: "ai-search",
          tool_calls: [{ id: "call-1", name: "search", args: { q: "x" } }],
        }),
        new ToolMessage({ content: "found it", tool_call_id: "call-1", id: "tool-1", artifact: { rows: [1, 2] } }),
      ],
    }))
    .addNode("summarize", summarize)
    .addNode("approve", () => {
      const answer = interrupt({ question: "publish?" });
      return { approved: answer === "yes", log: [`approve:${answer}`] };
    })
    .addEdge(START, "search")
    .addEdge("search", "summarize")
    .addEdge("summarize", "approve")
    .compile();
  return new StateGraph(State)
    .addNode("plan", (s) => ({ log: [`plan:${s.messages.length}`], notes: "plan ".repeat(600) }))
    .addNode("research", research)
    .addNode("left", () => ({ log: ["left"] }))
    .addNode("right", (_, config) => {
      const id = String(config.configurable?.thread_id);
      if (id.startsWith("flaky") && !failedOnce.has(id)) {
        failedOnce.add(id);
        throw new Error("right failed once");
      }
      return { log: ["right"] };
    })
    .addNode("answer", (s) => ({ messages: [new AIMessage({ content: `done: ${s.log.join(",")}`, id: "ai-done" })] }))
    .addEdge(START, "plan")
    .addEdge("plan", "research")
    .addEdge("research", "left")
    .addEdge("research", "right")
    .addEdge(["left", "right"], "answer")
    .addEdge("answer", END)
    .compile({ checkpointer });
}

const ask = (text: string) => ({ messages: [new HumanMessage({ content: text, id: `human-${text}` })] });

/** Every kind of history the import must carry, written by the official saver. */
async function writeOfficialHistories(path: string): Promise<void> {
  const official = SqliteSaver.fromConnString(path);
  const graph = build(official);
  failedOnce.clear();
  // Finished, then a second run on the same thread.
  await graph.invoke(ask("first"), thread("done"));
  await graph.invoke(new Command({ resume: "yes" }), thread("done"));
  await graph.invoke(ask("again"), thread("done"));
  // Left at the interrupt: pending writes, resumed after the import.
  await graph.invoke(ask("wait"), thread("pending"));
  // A parallel node fails: the other's writes and the error are pending writes of two tasks.
  await graph.invoke(ask("flaky"), thread("flaky"));
  await expect(graph.invoke(new Command({ resume: "no" }), thread("flaky"))).rejects.toThrow("right failed once");
  await graph.invoke(null, thread("flaky"));
  // A fork: `notes` gets version N on both branches, with different large values.
  await graph.invoke(ask("fork"), thread("fork"));
  const history = await collect(graph.getStateHistory(thread("fork")));
  const beforePlan = history.find((s) => s.next.includes("plan"))!;
  const forked = await graph.updateState(beforePlan.config, { notes: "forked ".repeat(600) }, "plan");
  await graph.invoke(null, forked);
  official.db.close();
}

/** A saver open only while `use` runs, so that the official one never overlaps the addon on a file. */
async function using<S, T>(saver: S, close: (saver: S) => unknown, use: (saver: S) => Promise<T>): Promise<T> {
  try {
    return await use(saver);
  } finally {
    await close(saver);
  }
}

const withOfficial = <T>(path: string, use: (saver: SqliteSaver) => Promise<T>) =>
  using(SqliteSaver.fromConnString(path), (saver) => saver.db.close(), use);

const withRust = <T>(path: string | undefined, use: (saver: RustSqliteSaver) => Promise<T>) =>
  using(new RustSqliteSaver({ path }), (saver) => saver.close(), use);

/** Everything a graph shows of a thread, with subgraph state, in every namespace. */
async function snapshotThread(saver: BaseCheckpointSaver, threadId: string) {
  const graph = build(saver);
  const history = await collect(graph.getStateHistory(thread(threadId)));
  const withSubgraphs = await Promise.all(history.map((s) => graph.getState(s.config, { subgraphs: true })));
  const namespaces = new Set<string>();
  for await (const tuple of saver.list(thread(threadId))) namespaces.add(tuple.config.configurable?.checkpoint_ns);
  const subgraphHistories: Record<string, unknown> = {};
  for (const ns of [...namespaces].filter(Boolean).sort()) {
    subgraphHistories[ns] = await collect(
      graph.getStateHistory({ configurable: { thread_id: threadId, checkpoint_ns: ns } }),
    );
  }
  return { history, withSubgraphs, subgraphHistories };
}

/**
 * Every stored tuple, keyed. Channel versions are left out (a fork's may be renamed), and so are values
 * of channels without a version (a reducer's default, an empty topic): RustSqliteSaver keeps values by
 * version, and LangGraph reads a channel without one as that same default.
 */
async function tuples(saver: BaseCheckpointSaver) {
  const out: Record<string, unknown> = {};
  for await (const { config, parentConfig, pendingWrites, metadata, checkpoint } of saver.list({})) {
    const { channel_versions: versions, versions_seen: _seen, channel_values: values, ...rest } = checkpoint;
    const versioned = Object.keys(values).filter((channel) => channel in versions);
    const channelValues = Object.fromEntries(versioned.map((channel) => [channel, values[channel]]));
    const { thread_id, checkpoint_ns, checkpoint_id } = config.configurable!;
    out[`${thread_id}|${checkpoint_ns}|${checkpoint_id}`] = {
      ...{ config, metadata, pendingWrites, ...(parentConfig ? { parentConfig } : {}) },
      checkpoint: { ...rest, channel_values: channelValues },
    };
  }
  return out;
}

const THREADS = ["done", "pending", "flaky", "fork"];

describe("importSqliteSaver", () => {
  const source = dbPath();
  const target = dbPath();
  let summary: Awaited<ReturnType<typeof importSqliteSaver>>;
  let official: {
    threads: Record<string, Awaited<ReturnType<typeof snapshotThread>>>;
    tuples: Record<string, unknown>;
    rows: { checkpoints: number; writes: number };
  };

  beforeAll(async () => {
    await writeOfficialHistories(source);
    summary = await withRust(target, (saver) => importSqliteSaver(source, saver));
    official = await withOfficial(source, async (o) => {
      const threads: Record<string, Awaited<ReturnType<typeof snapshotThread>>> = {};
      for (const id of THREADS) threads[id] = await snapshotThread(o, id);
      const count = (table: string) => (o.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      return { threads, tuples: await tuples(o), rows: { checkpoints: count("checkpoints"), writes: count("writes") } };
    });
  });

  /** A copy of a closed database file, for a test that changes it. */
  function copyOf(path: string): string {
    const copy = dbPath();
    copyFileSync(path, copy);
    return copy;
  }

  it("covers nested namespaces, interrupts, errors, writes of several tasks and a fork", () => {
    const all = Object.values(official.tuples) as CheckpointTuple[];
    const namespaces = new Set(all.map((t) => t.config.configurable?.checkpoint_ns as string));
    expect([...namespaces].some((ns) => ns.split("|").length === 2)).toBe(true);
    const writes = all.flatMap((t) => t.pendingWrites ?? []);
    for (const channel of ["__interrupt__", "__error__", "__resume__", "messages", "log"]) {
      expect(
        writes.some(([, c]) => c === channel),
        channel,
      ).toBe(true);
    }
    const failed = official.threads.flaky.history.find((s) => s.tasks.some((t) => t.error))!;
    expect(failed.tasks.map((t) => [t.name, t.result]).sort()).toEqual([
      ["left", { log: ["left"] }],
      ["right", { log: ["right"] }],
    ]);
    expect(failed.tasks.map((t) => (t.error as Error | undefined)?.message)).toContain("right failed once");
    const pending = official.threads.pending.withSubgraphs[0];
    expect(pending.tasks[0].interrupts).toEqual([expect.objectContaining({ value: { question: "publish?" } })]);
    const fork = official.threads.fork.history;
    expect(new Set(fork.map((s) => s.parentConfig?.configurable?.checkpoint_id)).size).toBeLessThan(fork.length);
    expect(fork[0].values.notes).toBe("forked ".repeat(600));
  });

  it("copies every thread, namespace, checkpoint and pending write", async () => {
    expect(summary).toEqual({ threads: THREADS.length, ...official.rows });
    expect(Object.keys(official.tuples)).toHaveLength(official.rows.checkpoints);
    await withRust(target, async (imported) => {
      for (const id of THREADS) {
        const ours = await snapshotThread(imported, id);
        expect(ours.history.length).toBeGreaterThanOrEqual(3);
        expect(ours).toStrictEqual(official.threads[id]);
      }
      expect(await tuples(imported)).toStrictEqual(official.tuples);
    });
  });

  it("resumes an interrupted thread on the imported saver as on the official one", async () => {
    const resume = async (saver: BaseCheckpointSaver) => {
      const graph = build(saver);
      const result = await graph.invoke(new Command({ resume: "yes" }), thread("pending"));
      return { result, state: await graph.getState(thread("pending")) };
    };
    const theirs = await withOfficial(copyOf(source), resume);
    const ours = await withRust(copyOf(target), resume);
    expect(ours.result).toStrictEqual(theirs.result);
    expect(ours.state.values).toStrictEqual(theirs.state.values);
    expect(ours.state.next).toEqual([]);
    expect(ours.result.approved).toBe(true);
    expect(ours.result.messages.at(-1)?.content).toMatch(/^done: .*approve:yes,left,right$/);
  });

  it("imports again without duplicates, keeping what the target added since", async () => {
    await withRust(copyOf(target), async (saver) => {
      await build(saver).invoke(new Command({ resume: "yes" }), thread("pending"));
      const latest = await saver.getTuple(thread("pending"));
      const before = await collect(saver.list({}));
      expect(await importSqliteSaver(source, saver)).toEqual(summary);
      const after = await collect(saver.list({}));
      expect(after.map((t) => t.config)).toEqual(before.map((t) => t.config));
      expect(await saver.getTuple(thread("pending"))).toStrictEqual(latest);
      for (const id of ["done", "flaky", "fork"]) {
        expect(await snapshotThread(saver, id)).toStrictEqual(official.threads[id]);
      }
    });
  });
});

describe("fast-langgraph-import-sqlite", () => {
  const pkg = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
  const bin = join(packageDir, pkg.bin["fast-langgraph-import-sqlite"]);

  async function cli(...args: string[]) {
    return run(process.execPath, [bin, ...args], { timeout: 60_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
  }

  it("imports a file into another and prints the summary", async () => {
    const from = dbPath();
    await writeOfficialHistories(from);
    const to = dbPath();
    const { code, stdout, stderr } = await cli(from, to);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toMatch(/^imported 4 threads, \d+ checkpoints and \d+ writes from .* into .*\n$/);
    const theirs = await withOfficial(from, (o) => snapshotThread(o, "flaky"));
    expect(await withRust(to, (saver) => snapshotThread(saver, "flaky"))).toStrictEqual(theirs);
  });

  it("imports a file into itself: RustSqliteSaver's tables live beside SqliteSaver's", async () => {
    const path = dbPath();
    await writeOfficialHistories(path);
    const { code, stderr } = await cli(path, path);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const theirs = await withOfficial(path, (o) => snapshotThread(o, "fork"));
    expect(await withRust(path, (saver) => snapshotThread(saver, "fork"))).toStrictEqual(theirs);
  });

  it("exits non-zero with the code and message on failure, and 2 on bad usage", async () => {
    const missing = join(dir, "missing.db");
    const failed = await cli(missing, dbPath());
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^fast-langgraph-import-sqlite: FLG_CANNOT_OPEN: .*missing\.db/);
    const usage = await cli(missing);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("usage: fast-langgraph-import-sqlite <from.db> <to.db>");
  });
});

describe("bad input", { timeout: 10_000 }, () => {
  async function rejection(path: string, code: FastLangGraphErrorCode): Promise<FastLangGraphError> {
    const error = await withRust(undefined, (saver) => importSqliteSaver(path, saver)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FastLangGraphError);
    expect((error as FastLangGraphError).code).toBe(code);
    return error as FastLangGraphError;
  }

  it("a missing file, a file that is not SQLite, a SQLite file without SqliteSaver's tables", async () => {
    const missing = join(dir, "no-such.db");
    expect((await rejection(missing, "FLG_CANNOT_OPEN")).message).toContain(missing);

    const text = join(dir, "notes.txt");
    writeFileSync(text, "these are notes, not a database; ".repeat(10));
    await rejection(text, "FLG_NOT_A_DATABASE");
    expect(readFileSync(text, "utf8")).toBe("these are notes, not a database; ".repeat(10));

    // RustSqliteSaver's own file is SQLite, with tables of its own.
    const ours = dbPath();
    await withRust(ours, (saver) => saver.setup());
    const error = await rejection(ours, "FLG_NO_SAVER_TABLES");
    expect(error.message).toContain("no table checkpoints");
  });

  it("a value the serializer cannot read (Python's SqliteSaver writes msgpack) names the row", async () => {
    const path = dbPath();
    await withOfficial(path, async (o) => {
      await build(o).invoke(ask("hi"), thread("py"));
      o.db
        .prepare(
          "UPDATE checkpoints SET type = 'msgpack' WHERE checkpoint_id = (SELECT max(checkpoint_id) FROM checkpoints)",
        )
        .run();
    });
    const error = await rejection(path, "FLG_INVALID_ARGUMENT");
    expect(error.message).toMatch(/cannot read checkpoint \S+ of thread py in .*: Unknown serialization type: msgpack/);
  });

  it("a fork whose versions are not whole numbers, which could not be told apart", async () => {
    const path = dbPath();
    await withOfficial(path, async (saver) => {
      saver.getNextVersion = (current) => (current ?? 0) + 0.5;
      const graph = build(saver);
      await graph.invoke(ask("fork"), thread("halves"));
      const history = await collect(graph.getStateHistory(thread("halves")));
      await graph.updateState(history.find((s) => s.next.includes("plan"))!.config, { notes: "other" }, "plan");
    });
    const error = await rejection(path, "FLG_INVALID_ARGUMENT");
    expect(error.message).toMatch(/thread halves reuses version 1\.5 of channel \S+ on another branch/);
  });

  it("leaves the source file as it was", async () => {
    const path = dbPath();
    await writeOfficialHistories(path);
    const copy = `${path}.copy`;
    copyFileSync(path, copy);
    await withRust(undefined, (saver) => importSqliteSaver(path, saver));
    expect(readFileSync(path).equals(readFileSync(copy))).toBe(true);
  });
});
