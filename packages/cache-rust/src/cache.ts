import { dumpOwned, parseWithMessages, plainJsonText } from "@fast-langgraph/serde";
import {
  BaseCache,
  type CacheFullKey,
  type CacheNamespace,
  type SerializerProtocol,
} from "@langchain/langgraph-checkpoint";

import { FileStore } from "./file-store.js";
import type { MemoryStoreCounters } from "./memory-store.js";
import { MemoryStore } from "./memory-store.js";
import { limitOptions, ttlOption } from "./options.js";

/** A cached value: JSON text from the plain-JSON fast path, or the serializer's own bytes. */
interface StoredValue {
  kind: string;
  payload: string | Uint8Array;
}

export interface RustCacheOptions {
  /** Most entries kept; the least recently used go first. Default 10 000. */
  maxEntries?: number;
  /** Most bytes kept: keys, values and about 100 bytes per entry. Default 64 MiB. */
  maxBytes?: number;
  /** Serializer for cached values. Default: `JsonPlusSerializer`. */
  serde?: SerializerProtocol;
  /**
   * A SQLite file to keep the entries in, so that they survive a restart and are shared by every
   * process that opens it. The limits then apply to the file. Default: memory only.
   */
  path?: string;
}

export interface RustCacheStats extends MemoryStoreCounters {
  /** Values that could not be stored (the serializer failed, or `ttl` was not a number of at least 0). */
  failures: number;
}

const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * A LangGraph node cache (`graph.compile({ cache })`) bounded by entries and bytes, with least
 * recently used eviction and per-entry expiry. Values are stored serialized, as `InMemoryCache`
 * stores them, so a cached result never shares objects with the code that made or reads it.
 */
export class RustCache<V = unknown> extends BaseCache<V> {
  readonly #store: MemoryStore<StoredValue> | FileStore;
  #failures = 0;

  /**
   * Throws `FLG_INVALID_ARGUMENT` for a limit that is not a whole number of at least 1. A file that
   * cannot be opened is reported by `ready()` and by every `get`, with its `FLG_*` code.
   */
  constructor(options: RustCacheOptions = {}) {
    super(options.serde);
    const limits = limitOptions(options, DEFAULT_MAX_ENTRIES);
    this.#store =
      options.path === undefined
        ? new MemoryStore(limits.maxEntries, limits.maxBytes)
        : new FileStore(options.path, limits);
  }

  /** Resolves once the cache file is open (at once without `path`); rejects with why it could not be. */
  async ready(): Promise<void> {
    if (this.#store instanceof FileStore) await this.#store.ready();
  }

  /** Closes the cache file after the calls already made; a no-op without `path`. */
  async close(): Promise<void> {
    if (this.#store instanceof FileStore) await this.#store.close();
  }

  async get(keys: CacheFullKey[]): Promise<{ key: CacheFullKey; value: V }[]> {
    if (this.#store instanceof FileStore) return this.#getFromFile(keys, this.#store);
    const hits: { key: CacheFullKey; value: V }[] = [];
    for (const key of keys) {
      const stored = this.#store.get(encodeKey(key));
      if (!stored) continue;
      // Awaited only when it is a promise: the plain-JSON path has no microtask to wait for.
      const value = this.#load(stored.value);
      hits.push({ key, value: value instanceof Promise ? await value : value });
    }
    return hits;
  }

  /** Never rejects: LangGraph does not await it. A value that cannot be stored is counted in `stats()`. */
  async set(pairs: { key: CacheFullKey; value: V; ttl?: number }[]): Promise<void> {
    if (this.#store instanceof FileStore) return this.#setInFile(pairs, this.#store);
    for (const { key, value, ttl } of pairs) {
      try {
        const ttlMs = ttlOption(ttl ?? undefined);
        const dumped = this.#dump(value);
        const stored = dumped instanceof Promise ? await dumped : dumped;
        const bytes =
          stored.kind.length + (typeof stored.payload === "string" ? stored.payload.length : stored.payload.byteLength);
        this.#store.set(encodeKey(key), stored, bytes, ttlMs);
      } catch {
        this.#failures++;
      }
    }
  }

  /** Clears the given namespaces (each exactly, as `InMemoryCache` does), or everything for `[]`. */
  async clear(namespaces: CacheNamespace[]): Promise<void> {
    const store = this.#store;
    if (store instanceof FileStore)
      return store.clear(namespaces.length === 0 ? undefined : namespaces.map(namespacePrefix));
    if (namespaces.length === 0) store.clear();
    for (const namespace of namespaces) store.clearPrefix(namespacePrefix(namespace));
  }

  /** Whether `key` holds a live entry; counts no hit or miss and leaves the entry's place in LRU order. */
  async has(key: CacheFullKey): Promise<boolean> {
    const store = this.#store;
    if (store instanceof FileStore) return (await store.contains([encodeKey(key)]))[0];
    return store.has(encodeKey(key));
  }

  /** Removes these entries. */
  async delete(keys: CacheFullKey[]): Promise<void> {
    const store = this.#store;
    // An encoded key is a whole JSON array: as a prefix it matches no other key.
    if (store instanceof FileStore) return store.clear(keys.map(encodeKey));
    for (const key of keys) store.delete(encodeKey(key));
  }

  /** With `path`: this process's hits, misses, evictions and expirations, and the file's entries and bytes. */
  stats(): RustCacheStats {
    return { ...this.#store.counters(), failures: this.#failures };
  }

  async #getFromFile(keys: CacheFullKey[], file: FileStore): Promise<{ key: CacheFullKey; value: V }[]> {
    const found = await file.get(keys.map(encodeKey));
    const hits: { key: CacheFullKey; value: V }[] = [];
    for (const [i, stored] of found.entries()) {
      if (stored) hits.push({ key: keys[i], value: await this.#load(stored) });
    }
    return hits;
  }

  async #setInFile(pairs: { key: CacheFullKey; value: V; ttl?: number }[], file: FileStore): Promise<void> {
    const entries = [];
    for (const { key, value, ttl } of pairs) {
      try {
        const { kind, payload } = await this.#dump(value);
        const bytes = typeof payload === "string" ? Buffer.from(payload) : payload;
        entries.push({ key: encodeKey(key), value: { kind, payload: bytes }, ttlMs: ttlOption(ttl ?? undefined) });
      } catch {
        this.#failures++;
      }
    }
    if (entries.length === 0) return;
    try {
      await file.set(entries);
    } catch {
      this.#failures += entries.length;
    }
  }

  #dump(value: V): StoredValue | Promise<StoredValue> {
    const text = plainJsonText(this.serde, value);
    if (text !== undefined) return { kind: "json", payload: text };
    return dumpOwned(this.serde, value).then(([kind, payload]) => ({ kind, payload }));
  }

  #load({ kind, payload }: StoredValue): V | Promise<V> {
    // Text comes only from the plain-JSON path, which the stock serializer would read back unchanged.
    if (typeof payload === "string") return JSON.parse(payload) as V;
    // Messages with plain fields are built directly, as the checkpointer reads them.
    const fast = parseWithMessages(this.serde, kind, payload);
    return fast ? (fast.value as V) : this.serde.loadsTyped(kind, payload);
  }
}

// Keys are JSON arrays, so no namespace or key can run into another, and one namespace's keys
// share a prefix.
function encodeKey([namespace, key]: CacheFullKey): string {
  return JSON.stringify([namespace, key]);
}

function namespacePrefix(namespace: CacheNamespace): string {
  // `[["a","b"],""]` without its `""]`.
  return JSON.stringify([namespace, ""]).slice(0, -3);
}
