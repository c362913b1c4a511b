import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import {
  emptyCheckpoint,
  uuid6,
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointTuple,
  type PendingWrite,
} from "@langchain/langgraph-checkpoint";

import { FastLangGraphError, RustSqliteSaver, type FastLangGraphErrorCode } from "../src/index.js";
import { tempSavers } from "./fixtures/temp-savers.js";

// Bad input and misuse must end in a rejected promise carrying a stable `code`: never a crash, a hang,
// or a silently wrong answer. A short timeout turns a hang into a failure.

const { dir, path: dbPath, saverAt } = tempSavers("errors");

const thread = (thread_id: string, checkpoint_id?: string) => ({
  configurable: { thread_id, checkpoint_ns: "", ...(checkpoint_id ? { checkpoint_id } : {}) },
});

function makeCheckpoint(values: Record<string, unknown> = { foo: "bar" }): Checkpoint {
  const checkpoint = emptyCheckpoint();
  checkpoint.id = uuid6(-1);
  checkpoint.channel_values = values;
  checkpoint.channel_versions = Object.fromEntries(Object.keys(values).map((k) => [k, 1]));
  return checkpoint;
}

const metadata = (extra: Record<string, unknown> = {}): CheckpointMetadata =>
  ({ source: "input", step: -1, parents: {}, ...extra }) as CheckpointMetadata;

async function collect<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iter) out.push(item);
  return out;
}

/** Awaits a rejection and checks it is one of ours, with the given code. */
async function rejection(promise: Promise<unknown>, code: FastLangGraphErrorCode): Promise<FastLangGraphError> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected a ${code} rejection, got a value: ${String(value)}`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  expect(error).toBeInstanceOf(FastLangGraphError);
  expect((error as FastLangGraphError).code).toBe(code);
  expect((error as Error).message.length).toBeGreaterThan(0);
  return error as FastLangGraphError;
}

describe("missing ids", { timeout: 10_000 }, () => {
  it("put and putWrites need a thread_id; putWrites also needs a checkpoint_id", async () => {
    const saver = saverAt();
    const checkpoint = makeCheckpoint();
    await rejection(saver.put({ configurable: {} }, checkpoint, metadata(), { foo: 1 }), "FLG_MISSING_THREAD_ID");
    await rejection(saver.put({}, checkpoint, metadata(), { foo: 1 }), "FLG_MISSING_THREAD_ID");
    await rejection(
      saver.putWrites({ configurable: { checkpoint_id: checkpoint.id } }, [["foo", 1]], "task"),
      "FLG_MISSING_THREAD_ID",
    );
    await rejection(saver.putWrites(thread("t"), [["foo", 1]], "task"), "FLG_MISSING_CHECKPOINT_ID");

    // Nothing was stored by the rejected calls.
    expect(await collect(saver.list({}))).toEqual([]);
  });

  it("getTuple without a thread_id resolves undefined, as the base contract says", async () => {
    const saver = saverAt();
    const checkpoint = makeCheckpoint();
    await saver.put(thread("t"), checkpoint, metadata(), { foo: 1 });
    await expect(saver.getTuple({ configurable: {} })).resolves.toBeUndefined();
    await expect(saver.getTuple({ configurable: { checkpoint_id: checkpoint.id } })).resolves.toBeUndefined();
    await expect(saver.getTuple({})).resolves.toBeUndefined();
  });
});

describe("close()", { timeout: 10_000 }, () => {
  it("makes every later call reject with FLG_CLOSED, and can be called twice", async () => {
    const saver = saverAt();
    const checkpoint = makeCheckpoint();
    const config = await saver.put(thread("t"), checkpoint, metadata(), { foo: 1 });
    await saver.close();
    await saver.close();

    await rejection(saver.put(thread("t"), makeCheckpoint(), metadata(), { foo: 1 }), "FLG_CLOSED");
    await rejection(saver.getTuple(thread("t")), "FLG_CLOSED");
    await rejection(collect(saver.list(thread("t"))), "FLG_CLOSED");
    await rejection(saver.putWrites(config, [["foo", 2]], "task"), "FLG_CLOSED");
    await rejection(saver.deleteThread("t"), "FLG_CLOSED");
    await rejection(saver.stats(), "FLG_CLOSED");
    await rejection(saver.setup(), "FLG_CLOSED");
  });

  it("lets calls started before close() finish, and their data reaches the file", async () => {
    const path = dbPath();
    const saver = saverAt(path);
    await saver.setup();
    const first = makeCheckpoint({ foo: "first" });
    const firstConfig = await saver.put(thread("t"), first, metadata(), { foo: 1 });

    // Started, not awaited, then close() at once.
    const second = makeCheckpoint({ foo: "second" });
    second.channel_versions = { foo: 2 };
    const put = saver.put(firstConfig, second, metadata({ step: 0 }), { foo: 2 });
    const putWrites = saver.putWrites(firstConfig, [["foo", "pending"]], "task-1");
    const read = saver.getTuple(firstConfig);
    const closed = saver.close();

    const [putResult, writesResult, readResult] = await Promise.allSettled([put, putWrites, read]);
    await closed;
    const outcome = (r: PromiseSettledResult<unknown>) =>
      r.status === "fulfilled" ? "fulfilled" : `rejected: ${(r.reason as FastLangGraphError).code}`;
    expect({ put: outcome(putResult), putWrites: outcome(writesResult), getTuple: outcome(readResult) }).toEqual({
      put: "fulfilled",
      putWrites: "fulfilled",
      getTuple: "fulfilled",
    });
    expect(putResult).toEqual({ status: "fulfilled", value: thread("t", second.id) });
    expect((readResult as PromiseFulfilledResult<CheckpointTuple>).value.checkpoint.id).toBe(first.id);

    const reopened = saverAt(path);
    const latest = await reopened.getTuple(thread("t"));
    expect(latest?.checkpoint.id).toBe(second.id);
    expect(latest?.checkpoint.channel_values).toEqual({ foo: "second" });
    const parent = await reopened.getTuple(firstConfig);
    expect(parent?.pendingWrites).toEqual([["task-1", "foo", "pending"]]);
  });
});

describe("files that cannot be opened", { timeout: 10_000 }, () => {
  const unopenable = [
    ["a directory that does not exist", () => join(dir, "no-such-dir", "nested", "x.db")],
    ["a read-only location", () => "/proc/forbidden.db"],
  ] as const;

  for (const [what, makePath] of unopenable) {
    it(`reports FLG_CANNOT_OPEN for ${what}, from setup() and from the first call`, async () => {
      const path = makePath();
      const saver = saverAt(path);
      const fromSetup = await rejection(saver.setup(), "FLG_CANNOT_OPEN");
      expect(fromSetup.message).toContain(path);

      const other = saverAt(path);
      const fromCall = await rejection(other.getTuple(thread("t")), "FLG_CANNOT_OPEN");
      expect(fromCall.message).toContain(path);
      await rejection(other.put(thread("t"), makeCheckpoint(), metadata(), { foo: 1 }), "FLG_CANNOT_OPEN");
      // Closing a saver that never opened is fine.
      await expect(other.close()).resolves.toBeUndefined();
      expect(existsSync(path)).toBe(false);
    });
  }

  it("reports FLG_NOT_A_DATABASE for a text file and leaves it unchanged", async () => {
    const path = dbPath();
    const text = "this is not a SQLite database, just some text.\n".repeat(90).slice(0, 4096);
    writeFileSync(path, text);
    const before = readFileSync(path);

    const saver = saverAt(path);
    const error = await rejection(saver.setup(), "FLG_NOT_A_DATABASE");
    expect(error.message).toContain(path);
    await rejection(saver.getTuple(thread("t")), "FLG_NOT_A_DATABASE");
    await saver.close();

    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it("refuses an invalid synchronous option in the constructor, with FLG_INVALID_ARGUMENT", () => {
    const path = dbPath();
    let error: unknown;
    try {
      new RustSqliteSaver({ path, synchronous: "OFF" as "FULL" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FastLangGraphError);
    expect((error as FastLangGraphError).code).toBe("FLG_INVALID_ARGUMENT");
    expect((error as FastLangGraphError).message).toMatch(/synchronous/);
    expect(existsSync(path)).toBe(false);
  });

  it.each([-1, 1.5, 3_000_000_000, Number.NaN])("refuses busyTimeoutMs %s in the constructor", (busyTimeoutMs) => {
    const path = dbPath();
    expect(() => new RustSqliteSaver({ path, busyTimeoutMs })).toThrow(
      expect.objectContaining({ code: "FLG_INVALID_ARGUMENT", message: expect.stringContaining("busyTimeoutMs") }),
    );
    expect(existsSync(path)).toBe(false);
  });

  it("takes busyTimeoutMs 0 and the largest SQLite holds", async () => {
    for (const busyTimeoutMs of [0, 2 ** 31 - 1]) {
      const saver = new RustSqliteSaver({ path: dbPath(), busyTimeoutMs });
      await expect(saver.setup()).resolves.toBeUndefined();
      await saver.close();
    }
  });
});

describe("list filter with hostile keys", { timeout: 10_000 }, () => {
  const injection = "x' OR 1=1 --";
  const quoted = 'a"b';
  const dropper = "'); DROP TABLE flg_checkpoints; --";

  it("matches keys literally and leaves the tables intact", async () => {
    const path = dbPath();
    const saver = saverAt(path);
    const stored: Record<string, Record<string, unknown>> = {
      plain: {},
      injectionHit: { [injection]: 1 },
      injectionMiss: { [injection]: 2 },
      quotedHit: { [quoted]: 2 },
      quotedMiss: { [quoted]: "2" },
      both: { [injection]: 1, [quoted]: 2 },
      dropper: { [dropper]: true },
      dotted: { "a.b": 3 },
      nested: { a: { b: 3 } },
    };
    const ids: Record<string, string> = {};
    for (const [name, extra] of Object.entries(stored)) {
      const checkpoint = makeCheckpoint();
      ids[name] = checkpoint.id;
      await saver.put(thread(name), checkpoint, metadata(extra), { foo: 1 });
    }

    const names = async (filter: Record<string, unknown>) => {
      const tuples = await collect(saver.list({}, { filter }));
      return tuples.map((t) => t.config.configurable?.thread_id as string).sort();
    };
    expect(await names({ [injection]: 1 })).toEqual(["both", "injectionHit"]);
    expect(await names({ [quoted]: 2 })).toEqual(["both", "quotedHit"]);
    expect(await names({ [injection]: 1, [quoted]: 2 })).toEqual(["both"]);
    expect(await names({ [dropper]: true })).toEqual(["dropper"]);
    // A dot is part of the key, not a JSON path.
    expect(await names({ "a.b": 3 })).toEqual(["dotted"]);
    expect(await names({ a: { b: 3 } })).toEqual(["nested"]);
    expect(await names({ "x' OR '1'='1": 1 })).toEqual([]);

    // Every checkpoint is still there and still writable, in this connection and a new one.
    expect(await names({})).toEqual(Object.keys(stored).sort());
    await saver.put(thread("after"), makeCheckpoint(), metadata(), { foo: 1 });
    await saver.close();
    const reopened = saverAt(path);
    const all = await collect(reopened.list({}));
    expect(all.map((t) => t.checkpoint.id).sort()).toEqual(expect.arrayContaining(Object.values(ids).sort()));
    expect(all).toHaveLength(Object.keys(stored).length + 1);
    const hit = (await reopened.getTuple(thread("injectionHit"))) as CheckpointTuple;
    expect(hit.metadata).toEqual(metadata(stored.injectionHit));
  });
});

describe("caller-owned inputs", { timeout: 10_000 }, () => {
  function deepFreeze<T>(value: T): T {
    // Typed arrays with elements cannot be frozen; structuredClone still checks them below.
    if (value === null || typeof value !== "object" || ArrayBuffer.isView(value) || Object.isFrozen(value)) {
      return value;
    }
    for (const child of Object.values(value as object)) deepFreeze(child);
    return Object.freeze(value);
  }

  it("are neither mutated nor rejected when frozen", async () => {
    const saver = saverAt();
    const bytes = new Uint8Array([1, 2, 3, 4]);
    const checkpoint = makeCheckpoint({
      messages: [{ role: "user", content: "hi", extra: { nested: [1, 2] } }],
      counter: 3,
      bytes,
    });
    checkpoint.versions_seen = { node: { messages: 1 } };
    const meta = metadata({ tags: ["a", "b"], info: { deep: { deeper: true } } });
    const newVersions = { messages: 1, counter: 1, bytes: 1 };
    const writes: PendingWrite[] = [
      ["messages", { role: "ai", content: ["part", { kind: "x" }] }],
      ["counter", 4],
      ["__error__", { message: "boom" }],
    ];
    const config = thread("frozen");

    const copies = structuredClone({ checkpoint, meta, newVersions, writes, config });
    deepFreeze(checkpoint);
    deepFreeze(meta);
    deepFreeze(newVersions);
    deepFreeze(writes);
    deepFreeze(config);

    const saved = await saver.put(config, checkpoint, meta, newVersions);
    await saver.putWrites(saved, writes, "task-1", "path-1");

    expect({ checkpoint, meta, newVersions, writes, config }).toEqual(copies);
    expect(bytes).toEqual(new Uint8Array([1, 2, 3, 4]));

    // What was stored is what was given.
    const tuple = (await saver.getTuple(saved)) as CheckpointTuple;
    expect(tuple.checkpoint.channel_values).toEqual(copies.checkpoint.channel_values);
    expect(tuple.metadata).toEqual(copies.meta);
    expect(tuple.pendingWrites?.map(([, channel, value]) => [channel, value])).toEqual(
      expect.arrayContaining(copies.writes.map(([channel, value]) => [channel, value])),
    );
    expect(tuple.pendingWrites).toHaveLength(3);
  });
});

describe("pending writes", () => {
  it("stores writes to channels named like Object's own properties as regular writes, in order", async () => {
    const saver = new RustSqliteSaver();
    const saved = await saver.put(thread("proto"), makeCheckpoint(), metadata(), {});
    const names = ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"];
    await saver.putWrites(
      saved,
      names.map((name, i): PendingWrite => [name, i]),
      "task-1",
    );
    // Insert-if-absent, as regular writes are: a second call does not replace them.
    await saver.putWrites(
      saved,
      names.map((name): PendingWrite => [name, "again"]),
      "task-1",
    );
    const tuple = (await saver.getTuple(saved)) as CheckpointTuple;
    expect(tuple.pendingWrites).toEqual(names.map((name, i) => ["task-1", name, i]));
    await saver.close();
  });
});
