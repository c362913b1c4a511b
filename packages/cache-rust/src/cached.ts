import { argumentsKey } from "./arguments-key.js";
import type { MemoryStoreCounters } from "./memory-store.js";
import { resultsFor, type ResultsOptions } from "./results.js";

export interface CachedOptions<A extends unknown[]> extends ResultsOptions {
  /**
   * The cache key of a call. Default: `argumentsKey(args)`, equal for equal arguments whatever the
   * order of their object keys. Keys are compared whole, so two calls never share a result unless
   * their keys are equal.
   */
  key?: (...args: A) => string;
  /** Required with `cache` or `path`. */
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
  const results = resultsFor<Awaited<R>>(options, DEFAULT_MAX_ENTRIES);
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

  // An async function: on a hit it settles faster than `Promise.resolve` of the value did.
  const call = async (...args: A): Promise<Awaited<R>> => {
    const key = keyOf(args);
    let hit = results.lookup(key);
    if (hit instanceof Promise) hit = await hit;
    return hit ? hit.value : run(key, args);
  };
  return Object.assign(call, {
    stats: () => results.stats(),
    clear: async () => results.clear(),
    invalidate: async (...args: A) => results.delete(keyOf(args)),
    has: async (...args: A) => results.has(keyOf(args)),
    close: () => results.close(),
  });
}
