import { BaseMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import {
  BaseCheckpointSaver,
  DeltaSnapshot,
  TASKS,
  WRITES_IDX_MAP,
  getCheckpointId,
  maxChannelVersion,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type DeltaChannelHistory,
  type PendingWrite,
  type SerializerProtocol,
} from "@langchain/langgraph-checkpoint";
import { openCheckpointStore, type NativeCheckpointStore } from "@fast-langgraph/native";

import { FastLangGraphError, fromNativeError } from "@fast-langgraph/native/errors";
import { ArraySegmenter } from "./array-segments.js";
import { MessageList, MessageListEncoder, MessageListFramer, type ListPlace } from "./message-list.js";

import { dumpOwned, parsePlainJson, parseWithMessages, stringifyPlainJson } from "@fast-langgraph/serde";
import {
  WireReader,
  type StoredValue,
  type TypedBytes,
  type WireCursor,
  type WireTuple,
  type WireWrite,
} from "./wire.js";

export interface RustSqliteSaverOptions {
  /** Database file, created if missing. Default `":memory:"`: a private in-memory database. */
  path?: string;
  /** Serializer for checkpoints, metadata and writes. Default: `JsonPlusSerializer`. */
  serde?: SerializerProtocol;
  /**
   * `"NORMAL"` (default): a checkpoint whose `put()` resolved survives a crash of the process.
   * `"FULL"`: it also survives a power loss, at the cost of an fsync per write.
   */
  synchronous?: "NORMAL" | "FULL";
  /** How long a call waits for a lock held by another process, in ms. Default 5000. */
  busyTimeoutMs?: number;
  /**
   * `"zstd"`: store channel values, pending writes and messages compressed (each value of 256 bytes
   * or more, when that makes it smaller). Default `"none"`. A file may hold both, so this can change
   * between runs; reading never needs it.
   */
  compression?: "none" | "zstd";
}

/** What `RustSqliteSaver.stats()` reports, for the whole database. */
export interface RustSqliteSaverStats {
  /** Threads with at least one checkpoint. */
  threads: number;
  /** Checkpoints, in every namespace. */
  checkpoints: number;
  /** Pending writes. */
  writes: number;
  /** Bytes of the stored values: checkpoints, metadata, channel values and writes; not SQLite's overhead. */
  storedBytes: number;
  /**
   * What the same checkpoints and writes would take if every checkpoint held its channel values whole,
   * as `SqliteSaver` stores them.
   */
  logicalBytes: number;
  /** `logicalBytes / storedBytes`, or 1 when nothing is stored. */
  dedupRatio: number;
  /**
   * The database's pages (page count × page size): the file's size once its write-ahead log is merged
   * into it, as `close()` does. For `":memory:"`, the size of the in-memory database.
   */
  fileBytes: number;
}

/** What `RustSqliteSaver.prune()` deleted. */
export interface RustSqliteSaverPruned {
  checkpoints: number;
  /** Pending writes of the deleted checkpoints. */
  writes: number;
  /** Channel values stored apart from their checkpoint (one per channel and version) that no kept checkpoint lists. */
  blobs: number;
  /** Messages of message lists that no kept checkpoint holds. */
  messages: number;
}

export interface RustSqliteSaverPruneOptions {
  /** The thread to prune; every thread when absent. */
  threadId?: string;
  /** How many of the latest checkpoints of each namespace to keep: a whole number, at least 1. */
  keepLast: number;
}

const MEMORY = ":memory:";
/** What the stock serializer writes around a `DeltaSnapshot`'s value. */
const SNAPSHOT_HEAD = Buffer.from('{"lc":2,"type":"delta_snapshot","value":');
const SNAPSHOT_TAIL = Buffer.from("}");
const EMPTY_VALUE: TypedBytes = ["empty", new Uint8Array(0)];
/**
 * Message lists at least this large are stored message by message; smaller ones whole, where the
 * store keeps small values in the checkpoint's row (`inline::BUDGET` in the core crate).
 */
const CHUNKED_LIST_BYTES = 2048;
const FIRST_PAGE = 16;
const MAX_PAGE = 64;

/**
 * A LangGraph checkpointer on SQLite, run by Rust off the JS thread.
 *
 * Channel values are stored once per (channel, version), as the Postgres saver does: a step that
 * leaves a large channel untouched does not write it again.
 */
export class RustSqliteSaver extends BaseCheckpointSaver {
  readonly path: string;

  #store: NativeCheckpointStore;
  #inflight = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;
  #messages = new MessageListEncoder();
  #framer = new MessageListFramer();
  #arrays = new ArraySegmenter();

  /** Throws `FLG_INVALID_ARGUMENT` for invalid options; open failures are reported by `setup()` and every call. */
  constructor(options: RustSqliteSaverOptions = {}) {
    super(options.serde);
    const path = options.path ?? MEMORY;
    this.path = path;
    try {
      // Returns at once: the file is opened on the store's own thread, ahead of any call.
      this.#store = openCheckpointStore(path, {
        synchronous: options.synchronous,
        busyTimeoutMs: options.busyTimeoutMs,
        compression: options.compression,
      });
    } catch (err) {
      throw fromNativeError(err);
    }
  }

  /** Same argument as `SqliteSaver.fromConnString`: a file path or `":memory:"`. */
  static fromConnString(pathOrMemory: string): RustSqliteSaver {
    return new RustSqliteSaver({ path: pathOrMemory });
  }

  /** Resolves once the database is open and migrated; rejects with the open error otherwise. */
  setup(): Promise<void> {
    return this.#track(() => this.#native((s) => s.ready()));
  }

  /** Waits for calls already made, then closes the database. Later calls reject with `FLG_CLOSED`. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      // Serialization happens before a call reaches the store, so wait for whole operations.
      await Promise.allSettled([...this.#inflight]);
      await this.#native((s) => s.close());
    })();
    return this.#closing;
  }

  /**
   * Channel values are stored once per (channel, version), so two branches of a thread must never
   * give one version two values. A fork (`updateState` on an older checkpoint) restarts from an
   * older version, so each version gets a random fraction on top of the usual increment: it stays
   * a number that is greater than the one before.
   */
  getNextVersion(current: number | undefined): number {
    const base = current === undefined ? 0 : Math.floor(Number.parseFloat(String(current)));
    return (Number.isFinite(base) ? base : 0) + 1 + Math.random();
  }

  getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    return this.#track(async () => {
      const threadId = optionalThreadId(config);
      if (threadId === undefined) return undefined;
      const checkpointNs = config.configurable?.checkpoint_ns ?? "";
      const checkpointId = getCheckpointId(config) || undefined;
      const buf = await this.#native((s) => s.getTuple(threadId, checkpointNs, checkpointId));
      const [row] = new WireReader(buf).page().tuples;
      return row && this.#toTuple(row);
    });
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const { before, filter } = options;
    let remaining = options.limit ?? Number.POSITIVE_INFINITY;
    if (remaining <= 0) return;
    const query = {
      threadId: optionalThreadId(config),
      checkpointNs: config.configurable?.checkpoint_ns ?? undefined,
      checkpointId: config.configurable?.checkpoint_id || undefined,
      before: before?.configurable?.checkpoint_id || undefined,
      filter: await this.#encodeFilter(filter),
    };
    let cursor: WireCursor | undefined;
    let pageSize = FIRST_PAGE;
    for (;;) {
      const size = Math.min(pageSize, remaining);
      // Each page is one call; nothing is held while the consumer works between pages.
      const page = await this.#track(async () => {
        const buf = await this.#native((s) => s.list({ ...query, pageSize: size, cursor }));
        const { next, tuples } = new WireReader(buf).page();
        return { next, tuples: await settle(tuples.map((row) => this.#toTuple(row))) };
      });
      for (const tuple of page.tuples) {
        yield tuple;
        if (--remaining <= 0) return;
      }
      if (!page.next) return;
      cursor = page.next;
      pageSize = Math.min(pageSize * 2, MAX_PAGE);
    }
  }

  put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    return this.#track(async () => {
      const threadId = requireThreadId(config, "put");
      const checkpointNs = String(config.configurable?.checkpoint_ns ?? "");
      // Channel values are stored per (channel, version) below, never inside the checkpoint.
      const { channel_values: values = {}, ...rest } = checkpoint;
      const channelVersions: Record<string, string> = {};
      for (const [channel, version] of Object.entries(checkpoint.channel_versions ?? {})) {
        channelVersions[channel] = String(version);
      }
      const channels = Object.entries(newVersions);
      const places = channels.map(
        ([channel, version]): ListPlace => ({
          threadId,
          checkpointNs,
          channel,
          version: String(version),
          checkpointId: checkpoint.id,
          parentId: config.configurable?.checkpoint_id || undefined,
        }),
      );
      const [checkpointValue, metadataValue, ...dumped] = await settle<TypedBytes | MessageList>([
        this.#dump(rest),
        this.#dump(metadata),
        ...channels.map(([channel], i) =>
          Object.prototype.hasOwnProperty.call(values, channel)
            ? this.#dumpChannel(values[channel], places[i])
            : EMPTY_VALUE,
        ),
      ]);
      const [[checkpointType, checkpointBytes], [metadataType, metadataBytes]] = [
        checkpointValue,
        metadataValue,
      ] as TypedBytes[];
      const chunked = dumped.map((d) => d instanceof MessageList && d.byteLength >= CHUNKED_LIST_BYTES);
      const header = JSON.stringify([
        threadId,
        checkpointNs,
        checkpoint.id,
        config.configurable?.checkpoint_id || null,
        checkpointType,
        metadataType,
        JSON.stringify(channelVersions),
        channels.map(([channel, version], i) => [
          channel,
          String(version),
          dumped[i] instanceof MessageList ? "json" : (dumped[i] as TypedBytes)[0],
          chunked[i],
        ]),
      ]);
      const send = (everything: boolean) => {
        const payloads = dumped.map((d, i) =>
          d instanceof MessageList ? (chunked[i] ? this.#framer.frame(d, places[i], everything) : d.json()) : d[1],
        );
        return this.#native((s) => s.put(header, [checkpointBytes, metadataBytes, ...payloads]));
      };
      try {
        await send(false);
      } catch (err) {
        // What this saver believed the thread stores is not there (deleted, pruned): send it all.
        if ((err as FastLangGraphError).code !== "FLG_CHUNK_MISSING") throw err;
        await send(true);
      }
      dumped.forEach((d, i) => chunked[i] && this.#framer.stored(d as MessageList, places[i]));
      return { configurable: { thread_id: threadId, checkpoint_ns: checkpointNs, checkpoint_id: checkpoint.id } };
    });
  }

  putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
    return this.#track(async () => {
      const threadId = requireThreadId(config, "putWrites");
      const checkpointId = config.configurable?.checkpoint_id;
      if (!checkpointId) {
        throw new FastLangGraphError(
          "FLG_MISSING_CHECKPOINT_ID",
          "putWrites needs config.configurable.checkpoint_id: the checkpoint the writes belong to.",
        );
      }
      const values = await settle(writes.map(([, value]) => this.#dump(value)));
      const header = JSON.stringify([
        threadId,
        String(config.configurable?.checkpoint_ns ?? ""),
        String(checkpointId),
        taskId,
        taskPath ?? "",
        // Own keys only: a channel named "constructor" must not find Object's.
        writes.map(([channel], idx) => [
          Object.hasOwn(WRITES_IDX_MAP, channel) ? WRITES_IDX_MAP[channel] : idx,
          channel,
          values[idx][0],
        ]),
      ]);
      await this.#native((s) =>
        s.putWrites(
          header,
          values.map(([, data]) => data),
        ),
      );
    });
  }

  deleteThread(threadId: string): Promise<void> {
    return this.#track(() => this.#native((s) => s.deleteThread(String(threadId))));
  }

  /**
   * Counts and sizes of the whole database, read in one transaction off the JS thread: how much
   * storing each channel value once per version saves over storing it in every checkpoint.
   */
  stats(): Promise<RustSqliteSaverStats> {
    return this.#track(() => this.#native((s) => s.stats()));
  }

  /**
   * Deletes old checkpoints: keeps the `keepLast` latest of each namespace of the thread (or of
   * every thread), and the older ones a kept checkpoint's delta channels (`DeltaChannel`) are
   * rebuilt from, so that every kept checkpoint reads back as before. Deletes the other checkpoints
   * with their pending writes, then the channel values and messages nothing kept refers to, in one
   * transaction. The file keeps its size: SQLite reuses the freed pages (`VACUUM` returns them).
   */
  prune(options: RustSqliteSaverPruneOptions): Promise<RustSqliteSaverPruned> {
    return this.#track(async () => {
      const { threadId, keepLast } = options ?? {};
      if (threadId !== undefined && typeof threadId !== "string") {
        throw new FastLangGraphError("FLG_INVALID_ARGUMENT", "prune({ threadId }) must be a string when given");
      }
      if (typeof keepLast !== "number") {
        throw new FastLangGraphError("FLG_INVALID_ARGUMENT", "prune needs keepLast: how many checkpoints to keep");
      }
      return this.#native((s) => s.prune(threadId, keepLast));
    });
  }

  /** One walk of the parent chain inside SQLite, instead of one `getTuple` per ancestor. */
  getDeltaChannelHistory(options: {
    config: RunnableConfig;
    channels: string[];
  }): Promise<Record<string, DeltaChannelHistory>> {
    return this.#track(async () => {
      const { config, channels } = options;
      if (channels.length === 0) return {};
      const threadId = optionalThreadId(config);
      const result: Record<string, DeltaChannelHistory> = {};
      if (threadId === undefined) {
        for (const channel of channels) result[channel] = { writes: [] };
        return result;
      }
      const buf = await this.#native((s) =>
        s.deltaChannelHistory(
          threadId,
          config.configurable?.checkpoint_ns ?? "",
          getCheckpointId(config) || undefined,
          channels,
        ),
      );
      for (const history of new WireReader(buf).histories()) {
        const entry: DeltaChannelHistory = { writes: await this.#loadWrites(history.writes) };
        if (history.seed) entry.seed = await this.#load(history.seed);
        result[history.channel] = entry;
      }
      return result;
    });
  }

  /** Runs a whole operation, serialization included, as one that `close()` waits for. */
  #track<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#closing) {
      return Promise.reject(new FastLangGraphError("FLG_CLOSED", "the checkpointer is closed"));
    }
    const done = operation();
    this.#inflight.add(done);
    const forget = () => this.#inflight.delete(done);
    done.then(forget, forget);
    return done;
  }

  #native<T>(op: (store: NativeCheckpointStore) => Promise<T>): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = op(this.#store);
    } catch (err) {
      // Arguments the addon could not convert.
      pending = Promise.reject(err);
    }
    return pending.catch((err: unknown) => {
      throw fromNativeError(err);
    });
  }

  /** Serializes a value; a list of messages is joined into the list's JSON. */
  #dump(value: unknown): TypedBytes | Promise<TypedBytes> {
    return then(this.#dumpList(value), (d) => (d instanceof MessageList ? ["json", d.json()] : d));
  }

  /**
   * A channel's value for `put`: a list of messages, or a plain array, as its elements (each
   * serialized only when not seen unchanged before); anything else whole.
   */
  #dumpChannel(value: unknown, place: ListPlace): TypedBytes | MessageList | Promise<TypedBytes | MessageList> {
    if (Array.isArray(value) && !(value[0] instanceof BaseMessage)) {
      const runs = this.#arrays.encode(this.serde, value, place);
      if (runs) return runs;
    }
    if (value instanceof DeltaSnapshot) return this.#dumpDeltaSnapshot(value);
    return this.#dumpList(value);
  }

  /**
   * A `DeltaChannel`'s periodic snapshot. The stock serializer writes it as a fixed record around its
   * value; a list of messages inside is written from the messages' kept JSON, a plain value with
   * `JSON.stringify`. Anything else, or a serializer of your own, writes it whole.
   */
  #dumpDeltaSnapshot(snapshot: DeltaSnapshot): TypedBytes | Promise<TypedBytes> {
    return then(this.#fastDump(snapshot.value), (d): TypedBytes | Promise<TypedBytes> => {
      if (!d) return dumpOwned(this.serde, snapshot);
      const inner = d instanceof MessageList ? d.json() : d[1];
      return ["json", Buffer.concat([SNAPSHOT_HEAD, inner, SNAPSHOT_TAIL])];
    });
  }

  /**
   * Serializes a value, without a promise when the plain-JSON fast path applies; a list of messages
   * is encoded only in the messages not seen unchanged before, and left as its messages.
   */
  #dumpList(value: unknown): TypedBytes | MessageList | Promise<TypedBytes | MessageList> {
    return then(this.#fastDump(value), (d) => d ?? dumpOwned(this.serde, value));
  }

  /**
   * The fast paths of the stock serializer, in order: plain JSON, then a list of messages;
   * `undefined` when neither applies.
   */
  #fastDump(value: unknown): TypedBytes | MessageList | Promise<MessageList | undefined> | undefined {
    const plain = stringifyPlainJson(this.serde, value);
    if (plain) return ["json", plain];
    return this.#messages.encode(this.serde, value);
  }

  /**
   * Deserializes a value, without a promise when it is plain JSON or holds no LangChain objects but
   * messages with plain fields.
   */
  #load([type, data, isPlain]: StoredValue): unknown {
    const fast = parsePlainJson(this.serde, type, data, isPlain) ?? parseWithMessages(this.serde, type, data);
    if (fast) return fast.value;
    // Byte values get a copy of their own, not a view into the shared result buffer.
    return this.serde.loadsTyped(type, type === "bytes" ? new Uint8Array(data) : data);
  }

  #loadWrites(writes: WireWrite[]): CheckpointPendingWrite[] | Promise<CheckpointPendingWrite[]> {
    return then(settle(writes.map((w) => this.#load(w.value))), (values) =>
      writes.map((w, i): CheckpointPendingWrite => [w.taskId, w.channel, values[i]]),
    );
  }

  async #encodeFilter(filter: Record<string, unknown> | undefined): Promise<string | undefined> {
    const entries = Object.entries(filter ?? {}).filter(([, value]) => value !== undefined);
    if (entries.length === 0) return undefined;
    // Encoded by the same serializer as the stored metadata, so both sides compare alike.
    const [type, data] = await this.serde.dumpsTyped(Object.fromEntries(entries));
    if (type !== "json") {
      throw new FastLangGraphError(
        "FLG_INVALID_ARGUMENT",
        `list({ filter }) needs a serializer that writes metadata as JSON; this one writes "${type}"`,
      );
    }
    return typeof data === "string" ? data : Buffer.from(data).toString("utf8");
  }

  #toTuple(row: WireTuple): CheckpointTuple | Promise<CheckpointTuple> {
    const { threadId, checkpointNs, parentCheckpointId } = row;
    const loaded = settle<unknown>([
      this.#load(row.checkpoint),
      this.#load(row.metadata),
      this.#loadWrites(row.pendingWrites),
      ...row.channelValues.map(([, value]) => this.#load(value)),
    ]);
    return then(loaded, ([checkpointValue, metadata, pendingWrites, ...values]) => {
      const checkpoint = checkpointValue as Checkpoint;
      checkpoint.channel_values = {};
      row.channelValues.forEach(([channel], i) => (checkpoint.channel_values[channel] = values[i]));
      checkpoint.channel_versions ??= {};
      checkpoint.versions_seen ??= {};
      const tuple: CheckpointTuple = {
        config: { configurable: { thread_id: threadId, checkpoint_ns: checkpointNs, checkpoint_id: row.checkpointId } },
        checkpoint,
        metadata: metadata as CheckpointMetadata,
        pendingWrites: pendingWrites as CheckpointPendingWrite[],
      };
      if (parentCheckpointId === undefined) return tuple;
      tuple.parentConfig = {
        configurable: { thread_id: threadId, checkpoint_ns: checkpointNs, checkpoint_id: parentCheckpointId },
      };
      if (!(checkpoint.v < 4)) return tuple;
      return this.#migratePendingSends(checkpoint, threadId, checkpointNs, parentCheckpointId).then(() => tuple);
    });
  }

  /** Checkpoints before format v4 kept pending sends as writes to TASKS on their parent. */
  async #migratePendingSends(checkpoint: Checkpoint, threadId: string, checkpointNs: string, parentId: string) {
    const buf = await this.#native((s) => s.channelWrites(threadId, checkpointNs, parentId, TASKS));
    const sends = await settle(new WireReader(buf).writes().map((w) => this.#load(w.value)));
    checkpoint.channel_values[TASKS] = sends;
    const versions = Object.values(checkpoint.channel_versions);
    checkpoint.channel_versions[TASKS] =
      versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }
}

function optionalThreadId(config: RunnableConfig): string | undefined {
  const threadId = config.configurable?.thread_id;
  return threadId === undefined || threadId === null || threadId === "" ? undefined : String(threadId);
}

function requireThreadId(config: RunnableConfig, method: string): string {
  const threadId = optionalThreadId(config);
  if (threadId === undefined) {
    throw new FastLangGraphError(
      "FLG_MISSING_THREAD_ID",
      `${method} needs config.configurable.thread_id, so the checkpointer knows which thread to persist. ` +
        'Example: graph.invoke(input, { configurable: { thread_id: "my-thread" } })',
    );
  }
  return threadId;
}

/**
 * Fast paths return plain values; only the stock serializer's slow path returns promises. Awaiting
 * only when one is there saves a promise per value, which LangChain's async hooks make costly.
 */
function settle<T>(values: (T | Promise<T>)[]): T[] | Promise<T[]> {
  return values.some(isPromiseLike) ? Promise.all(values) : (values as T[]);
}

function then<T, U>(value: T | Promise<T>, f: (value: T) => U | Promise<U>): U | Promise<U> {
  return isPromiseLike(value) ? Promise.resolve(value).then(f) : f(value as T);
}

/** Values parsed from JSON never hold functions, so a `then` method means a promise. */
function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}
