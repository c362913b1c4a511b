import { openCacheStore, type NativeCacheStore } from "@fast-langgraph/native";
import { fromNativeError } from "@fast-langgraph/native/errors";

import { hitRate, type MemoryStoreCounters } from "./memory-store.js";

/** A serialized value: its serializer type and bytes. */
export interface FileValue {
  kind: string;
  payload: Uint8Array;
}

/**
 * Entries in a SQLite file through the native addon, on a thread of its own: the event loop never
 * waits for the disk. Every process that opens the file shares its entries; each keeps it within
 * its own limits when it writes.
 */
export class FileStore {
  readonly #native: NativeCacheStore;

  constructor(path: string, limits: { maxEntries: number; maxBytes: number; busyTimeoutMs?: number }) {
    try {
      this.#native = openCacheStore(path, limits);
    } catch (err) {
      throw fromNativeError(err);
    }
  }

  /** Resolves once the file is open; rejects with the reason it could not be opened. */
  ready(): Promise<void> {
    return this.#call(() => this.#native.ready());
  }

  /** The live value of each key, in order; `undefined` for a miss. */
  async get(keys: string[]): Promise<(FileValue | undefined)[]> {
    const found = await this.#call(() => this.#native.get(keys));
    return found.map((v) => (v ? { kind: v.kind, payload: v.value } : undefined));
  }

  /** Whether each key holds a live entry; counts no hit or miss. */
  async contains(keys: string[]): Promise<boolean[]> {
    const live = await this.#call(() => this.#native.contains(keys));
    return Array.from(live, (b) => b === 1);
  }

  /** Stores the entries in one transaction; `ttlMs` undefined keeps an entry until it is evicted. */
  set(entries: { key: string; value: FileValue; ttlMs: number | undefined }[]): Promise<void> {
    return this.#call(() =>
      this.#native.set(
        entries.map((e) => e.key),
        entries.map((e) => e.value.kind),
        entries.map((e) => e.ttlMs ?? null),
        entries.map((e) => e.value.payload),
      ),
    );
  }

  /** Removes the entries whose key starts with one of `prefixes`, or every entry for `undefined`. */
  clear(prefixes?: string[]): Promise<void> {
    return this.#call(() => this.#native.clear(prefixes ?? null));
  }

  counters(): MemoryStoreCounters {
    const stats = this.#native.stats();
    return { ...stats, hitRate: hitRate(stats.hits, stats.misses) };
  }

  /** Closes the file after the calls already made. */
  close(): Promise<void> {
    return this.#call(() => this.#native.close());
  }

  async #call<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw fromNativeError(err);
    }
  }
}
