import { FastLangGraphError } from "@fast-langgraph/native/errors";
import type { CacheFullKey } from "@langchain/langgraph-checkpoint";

import { RustCache } from "./cache.js";
import type { MemoryStoreCounters } from "./memory-store.js";
import { boundedStore, ttlOption } from "./options.js";

/** Where results live: in memory of their own, or in a namespace of a `RustCache` (given, or on `path`). */
export interface ResultsOptions {
  /** Seconds a result stays cached; default: until evicted. */
  ttl?: number;
  /** Most results kept; the least recently used go first. Default 1000. Not with `cache`. */
  maxEntries?: number;
  /** Most bytes kept, measured as each result's JSON (serialized size with `path`). Default 64 MiB. Not with `cache`. */
  maxBytes?: number;
  /**
   * Keep results in this `RustCache` (shared with other functions or a graph) instead of in memory
   * of their own. Results are then stored serialized: a hit gives back a copy.
   */
  cache?: RustCache;
  /**
   * Keep results in a SQLite file: they survive a restart and are shared by every process on it.
   * Results are stored serialized: a hit gives back a copy.
   */
  path?: string;
  /** With `cache` or `path`: where these results live in it, apart from any others. */
  namespace?: string;
}

/** Where a cached function or model cache keeps its results, by key. */
export interface Results<R> {
  /** The result under `key`, wrapped so that a stored `undefined` is told from a miss. */
  lookup(key: string): { value: R } | undefined | Promise<{ value: R } | undefined>;
  store(key: string, value: R): void | Promise<void>;
  delete(key: string): void | Promise<void>;
  has(key: string): boolean | Promise<boolean>;
  clear(): void | Promise<void>;
  stats(): MemoryStoreCounters;
  close(): Promise<void>;
}

/** The store `options` ask for; throws `FLG_INVALID_ARGUMENT` for options that do not fit together. */
export function resultsFor<R>(options: ResultsOptions, defaultMaxEntries: number): Results<R> {
  return options.cache || options.path !== undefined
    ? inRustCache(options, defaultMaxEntries)
    : inMemory(options, defaultMaxEntries);
}

function inMemory<R>(options: ResultsOptions, defaultMaxEntries: number): Results<R> {
  const ttlMs = ttlOption(options.ttl);
  const store = boundedStore<R>(options, defaultMaxEntries);
  return {
    lookup: (key) => store.get(key),
    store: (key, value) => store.set(key, value, byteSize(value), ttlMs),
    delete: (key) => store.delete(key),
    has: (key) => store.has(key),
    clear: () => store.clear(),
    stats: () => store.counters(),
    close: async () => {},
  };
}

function inRustCache<R>(options: ResultsOptions, defaultMaxEntries: number): Results<R> {
  const { ttl, namespace } = options;
  ttlOption(ttl);
  if (typeof namespace !== "string" || namespace === "") {
    throw new FastLangGraphError("FLG_INVALID_ARGUMENT", "a namespace is needed with `cache` or `path`");
  }
  if (
    options.cache &&
    (options.path !== undefined || options.maxEntries !== undefined || options.maxBytes !== undefined)
  ) {
    throw new FastLangGraphError("FLG_INVALID_ARGUMENT", "with `cache`, its own path and limits apply");
  }
  const owned = options.cache === undefined;
  const cache =
    options.cache ??
    new RustCache<R>({
      path: options.path,
      maxEntries: options.maxEntries ?? defaultMaxEntries,
      maxBytes: options.maxBytes,
    });
  const ns = ["cached", namespace];
  const full = (key: string): CacheFullKey => [ns, key];
  return {
    lookup: async (key) => {
      const [hit] = await cache.get([full(key)]);
      return hit ? { value: hit.value as R } : undefined;
    },
    store: (key, value) => cache.set([{ key: full(key), value, ttl }]),
    delete: (key) => cache.delete([full(key)]),
    has: (key) => cache.has(full(key)),
    clear: () => cache.clear([ns]),
    stats: () => cache.stats(),
    close: async () => {
      if (owned) await cache.close();
    },
  };
}

/** A result's size for `maxBytes`: the length of its JSON (0 for what JSON cannot hold). */
function byteSize(value: unknown): number {
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return 0;
  }
}
