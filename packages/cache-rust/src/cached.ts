import { FastLangGraphError } from "@fast-langgraph/native/errors";
import type { CacheFullKey } from "@langchain/langgraph-checkpoint";

import { argumentsKey } from "./arguments-key.js";
import { RustCache } from "./cache.js";
import type { MemoryStoreCounters } from "./memory-store.js";
import { boundedStore, ttlOption } from "./options.js";

export interface CachedOptions<A extends unknown[]> {
  /** Seconds a result stays cached; default: until evicted. */
  ttl?: number;
  /** Most results kept; the least recently used go first. Default 1000. Not with `cache`. */
  maxEntries?: number;
  /** Most bytes kept, measured as each result's JSON (serialized size with `path`). Default 64 MiB. Not with `cache`. */
  maxBytes?: number;
  /**
   * The cache key of a call. Default: `argumentsKey(args)`, equal for equal arguments whatever the
   * order of their object keys. Keys are compared whole, so two calls never share a result unless
   * their keys are equal.
   */
  key?: (...args: A) => string;
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
  /** Required with `cache` or `path`: where this function's results live in it, apart from any other's. */
  namespace?: string;
}

export type CachedStats = MemoryStoreCounters;

export interface CachedFunction<A extends unknown[], R> {
  (...args: A): Promise<R>;
  /** With `cache` or `path`, the statistics of that whole cache. */
  stats(): CachedStats;
  /** Forgets every result of this function. */
  clear(): Promise<void>;
  /** Forgets the result of these arguments. */
  invalidate(...args: A): Promise<void>;
  /** Whether a result for these arguments is cached (without counting a hit or a miss). */
  has(...args: A): Promise<boolean>;
  /** Closes the file opened for `path`; a no-op otherwise. */
  close(): Promise<void>;
}

/** Where a cached function keeps its results, by key. */
interface Results<R> {
  /** The result under `key`, wrapped so that a stored `undefined` is told from a miss. */
  lookup(key: string): { value: R } | undefined | Promise<{ value: R } | undefined>;
  store(key: string, value: R): void | Promise<void>;
  delete(key: string): void | Promise<void>;
  has(key: string): boolean | Promise<boolean>;
  clear(): void | Promise<void>;
  stats(): CachedStats;
  close(): Promise<void>;
}

const DEFAULT_MAX_ENTRIES = 1000;

/**
 * Caches the results of `fn`, sync or async, such as an LLM call. In memory, results are kept as
 * they are (not copied), in least-recently-used order within `maxEntries` and `maxBytes`; with
 * `cache` or `path` they go to a `RustCache`. `null` and `undefined` results are cached too, a
 * rejection never is. Identical calls made while the first is running share its promise.
 */
export function cached<A extends unknown[], R>(
  fn: (...args: A) => R | Promise<R>,
  options: CachedOptions<A> = {},
): CachedFunction<A, Awaited<R>> {
  const results: Results<Awaited<R>> =
    options.cache || options.path !== undefined ? inRustCache(options) : inMemory(options);
  const custom = options.key;
  const keyOf = (args: A) => (custom ? custom(...args) : argumentsKey(args));
  const inFlight = new Map<string, Promise<Awaited<R>>>();

  const run = (key: string, args: A): Promise<Awaited<R>> => {
    const running = inFlight.get(key);
    if (running) return running;
    const result = (async (): Promise<Awaited<R>> => {
      try {
        const value: Awaited<R> = await fn(...args);
        // Stored before the promise settles, so a call that follows it finds the result.
        const stored = results.store(key, value);
        if (stored) await stored;
        return value;
      } finally {
        inFlight.delete(key);
      }
    })();
    inFlight.set(key, result);
    return result;
  };

  const call = (...args: A): Promise<Awaited<R>> => {
    let key: string;
    try {
      key = keyOf(args);
    } catch (err) {
      return Promise.reject(err);
    }
    const hit = results.lookup(key);
    if (hit instanceof Promise) return hit.then((found) => (found ? found.value : run(key, args)));
    return hit ? Promise.resolve(hit.value) : run(key, args);
  };
  return Object.assign(call, {
    stats: () => results.stats(),
    clear: async () => results.clear(),
    invalidate: async (...args: A) => results.delete(keyOf(args)),
    has: async (...args: A) => results.has(keyOf(args)),
    close: () => results.close(),
  });
}

function inMemory<R>(options: CachedOptions<never>): Results<R> {
  const ttlMs = ttlOption(options.ttl);
  const store = boundedStore<R>(options, DEFAULT_MAX_ENTRIES);
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

function inRustCache<R>(options: CachedOptions<never>): Results<R> {
  const { ttl, namespace } = options;
  ttlOption(ttl);
  if (typeof namespace !== "string" || namespace === "") {
    throw new FastLangGraphError("FLG_INVALID_ARGUMENT", "cached() needs a namespace with `cache` or `path`");
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
      maxEntries: options.maxEntries ?? DEFAULT_MAX_ENTRIES,
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
