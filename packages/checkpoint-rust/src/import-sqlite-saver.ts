import type {
  BaseCheckpointSaver,
  ChannelVersions,
  Checkpoint,
  CheckpointMetadata,
  PendingWrite,
  SerializerProtocol,
} from "@langchain/langgraph-checkpoint";
import { openSqliteSaverFile, type SaverCheckpointRow, type SaverWriteRow } from "@fast-langgraph/native";
import { FastLangGraphError, fromNativeError } from "@fast-langgraph/native/errors";
import { parseWithMessages } from "@fast-langgraph/serde";

/** What `importSqliteSaver` copied. */
export interface ImportSummary {
  /** Threads with at least one checkpoint. */
  threads: number;
  checkpoints: number;
  writes: number;
}

/**
 * Copies every checkpoint (with its metadata and parent) and every pending write from the database
 * file of the official `SqliteSaver` (`@langchain/langgraph-checkpoint-sqlite`) into `toSaver`, through
 * its public `put` and `putWrites`. The file is read read-only, off the JS thread, a page at a time,
 * from one snapshot; values are read with `toSaver.serde`. Ids are kept, so importing the same file
 * again replaces each row with itself.
 */
export async function importSqliteSaver(fromPath: string, toSaver: BaseCheckpointSaver): Promise<ImportSummary> {
  const file = await native(() => openSqliteSaverFile(fromPath));
  const read = (kind: string, data: Uint8Array, what: string) => load(toSaver.serde, kind, data, what, fromPath);
  const summary: ImportSummary = { threads: 0, checkpoints: 0, writes: 0 };
  try {
    const versions = new ForkVersions();
    let thread: string | undefined;
    for (let page; (page = await native(() => file.nextCheckpoints())).length > 0; ) {
      for (const row of page) {
        const what = `checkpoint ${row.checkpointId} of thread ${row.threadId}`;
        const [checkpoint, metadata] = await Promise.all([
          read(row.kind, row.checkpoint, what) as Promise<Checkpoint>,
          read(row.kind, row.metadata, `the metadata of ${what}`) as Promise<CheckpointMetadata>,
        ]);
        checkpoint.channel_versions ??= {};
        versions.rename(row, checkpoint);
        // Every channel counts as new, so that the saver stores every value.
        await toSaver.put(config(row, row.parentCheckpointId), checkpoint, metadata, checkpoint.channel_versions);
        if (row.threadId !== thread) summary.threads += 1;
        thread = row.threadId;
        summary.checkpoints += 1;
      }
    }
    // One task's writes, which may span pages.
    let task: SaverWriteRow[] = [];
    const flush = async () => {
      if (task.length === 0) return;
      await putTaskWrites(toSaver, task, read);
      summary.writes += task.length;
      task = [];
    };
    for (let page; (page = await native(() => file.nextWrites())).length > 0; ) {
      for (const row of page) {
        if (task.length > 0 && !sameTask(task[0], row)) await flush();
        task.push(row);
      }
    }
    await flush();
    return summary;
  } finally {
    await file.close();
  }
}

type Read = (kind: string, data: Uint8Array, what: string) => Promise<unknown>;

/**
 * SqliteSaver's special channels (negative idx) replace what is stored and its regular writes are
 * kept if present; a batch of each keeps that, and `putWrites` numbers regular writes by position,
 * so they keep their order.
 */
async function putTaskWrites(toSaver: BaseCheckpointSaver, rows: SaverWriteRow[], read: Read): Promise<void> {
  const [first] = rows;
  const what = `a write of task ${first.taskId} to checkpoint ${first.checkpointId} of thread ${first.threadId}`;
  const values = await Promise.all(rows.map((row) => read(row.kind, row.value, what)));
  const writes = rows.map((row, i): PendingWrite => [row.channel, values[i]]);
  for (const batch of [writes.filter((_, i) => rows[i].idx < 0), writes.filter((_, i) => rows[i].idx >= 0)]) {
    if (batch.length > 0) await toSaver.putWrites(config(first, first.checkpointId), batch, first.taskId);
  }
}

function sameTask(a: SaverWriteRow, b: SaverWriteRow): boolean {
  return (
    a.threadId === b.threadId &&
    a.checkpointNs === b.checkpointNs &&
    a.checkpointId === b.checkpointId &&
    a.taskId === b.taskId
  );
}

function config(row: { threadId: string; checkpointNs: string }, checkpointId: string | undefined) {
  return {
    configurable: {
      thread_id: row.threadId,
      checkpoint_ns: row.checkpointNs,
      ...(checkpointId ? { checkpoint_id: checkpointId } : {}),
    },
  };
}

async function load(serde: SerializerProtocol, kind: string, data: Uint8Array, what: string, path: string) {
  try {
    // The stock serializer's result, without its asynchronous walk where messages allow it.
    const fast = parseWithMessages(serde, kind, data);
    return fast ? fast.value : await serde.loadsTyped(kind, data);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new FastLangGraphError(
      "FLG_INVALID_ARGUMENT",
      `cannot read ${what} in ${path} with the target saver's serializer: ${reason}`,
      { cause: err },
    );
  }
}

async function native<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw fromNativeError(err);
  }
}

const NO_RENAMES: ReadonlyMap<string, number> = new Map();

/**
 * SqliteSaver numbers versions 1, 2, 3... along a thread, so two branches of a fork (`updateState`
 * on an older checkpoint, or a replay) give one version different values. A saver that stores a
 * value once per (channel, version), as RustSqliteSaver and the Postgres saver do, would keep one
 * branch's value for both. So a version that a later checkpoint creates again gets a fraction added,
 * in that checkpoint and in those that descend from it: it still sorts between its neighbours.
 * The first branch, and any thread without forks, keeps its versions as they are.
 */
class ForkVersions {
  #group: string | undefined;
  /** `channel\0version` of every version some checkpoint of the thread and namespace created. */
  #created = new Set<string>();
  /** Each checkpoint's versions as stored, and the renames that hold for it and its descendants. */
  #checkpoints = new Map<string, { versions: ChannelVersions; renames: ReadonlyMap<string, number> }>();
  #forks = 0;

  /** Rows come in (thread, namespace, id) order, so a parent is seen before its children. */
  rename(row: SaverCheckpointRow, checkpoint: Checkpoint): void {
    const group = JSON.stringify([row.threadId, row.checkpointNs]);
    if (group !== this.#group) {
      // Reset per thread, so the same file always gives the same versions.
      this.#group = group;
      this.#created.clear();
      this.#checkpoints.clear();
      this.#forks = 0;
    }
    const parent = row.parentCheckpointId ? this.#checkpoints.get(row.parentCheckpointId) : undefined;
    const versions = { ...checkpoint.channel_versions };
    let renames = parent?.renames ?? NO_RENAMES;
    let fraction: number | undefined;
    for (const [channel, version] of Object.entries(versions)) {
      if (parent?.versions[channel] === version) continue;
      const key = `${channel}\0${version}`;
      if (!this.#created.has(key)) {
        this.#created.add(key);
        continue;
      }
      if (typeof version !== "number" || !Number.isInteger(version)) {
        throw new FastLangGraphError(
          "FLG_INVALID_ARGUMENT",
          `checkpoint ${row.checkpointId} of thread ${row.threadId} reuses version ${JSON.stringify(version)} of ` +
            `channel ${channel} on another branch, and only whole-number versions can be told apart`,
        );
      }
      if (fraction === undefined) {
        this.#forks += 1;
        fraction = this.#forks / (this.#forks + 1);
        renames = new Map(renames);
      }
      (renames as Map<string, number>).set(key, version + fraction);
    }
    this.#checkpoints.set(row.checkpointId, { versions, renames });
    if (renames.size === 0) return;
    const renamed = (channel: string, version: number | string) => renames.get(`${channel}\0${version}`) ?? version;
    const { channel_versions: current, versions_seen: seen = {} } = checkpoint;
    for (const channel of Object.keys(current)) current[channel] = renamed(channel, current[channel]);
    for (const node of Object.values(seen)) {
      for (const channel of Object.keys(node)) node[channel] = renamed(channel, node[channel]);
    }
  }
}
