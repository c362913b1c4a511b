import { argumentsKey } from "./arguments-key.js";
import type { MemoryStore, MemoryStoreCounters } from "./memory-store.js";
import { boundedStore, ttlOption } from "./options.js";

export interface CachedOptions<A extends unknown[]> {
  /** Seconds a result stays cached; default: until evicted. */
  ttl?: number;
  /** Most results kept; the least recently used go first. Default 1000. */
  maxEntries?: number;
  /** Most bytes kept, measured as each result's JSON. Default 64 MiB. */
  maxBytes?: number;
  /**
   * The cache key of a call. Default: `argumentsKey(args)`, equal for equal arguments whatever the
   * order of their object keys. Keys are compared whole, so two calls never share a result unless
   * their keys are equal.
   */
  key?: (...args: A) => string;
}

export type CachedStats = MemoryStoreCounters;

export interface CachedFunction<A extends unknown[], R> {
  (...args: A): Promise<R>;
  stats(): CachedStats;
  /** Forgets every result. */
  clear(): void;
  /** Forgets the result of these arguments. */
  invalidate(...args: A): void;
  /** Whether a result for these arguments is cached (without counting a hit or a miss). */
  has(...args: A): boolean;
}

const DEFAULT_MAX_ENTRIES = 1000;

/**
 * Caches the results of `fn`, sync or async, such as an LLM call. Results are kept as they are (not
 * copied), in least-recently-used order within `maxEntries` and `maxBytes`; `null` and `undefined`
 * results are cached too, a rejection never is. Identical calls made while the first is running share
 * its promise.
 */
export function cached<A extends unknown[], R>(
  fn: (...args: A) => R | Promise<R>,
  options: CachedOptions<A> = {},
): CachedFunction<A, Awaited<R>> {
  const ttlMs = ttlOption(options.ttl);
  const store = boundedStore<Awaited<R>>(options, DEFAULT_MAX_ENTRIES);
  const custom = options.key;
  const keyOf = (args: A) => (custom ? custom(...args) : argumentsKey(args));
  const inFlight = new Map<string, Promise<Awaited<R>>>();

  const call = (...args: A): Promise<Awaited<R>> => {
    let key: string;
    try {
      key = keyOf(args);
    } catch (err) {
      return Promise.reject(err);
    }
    const hit = store.get(key);
    if (hit) return Promise.resolve(hit.value);
    const running = inFlight.get(key);
    if (running) return running;
    const result = (async (): Promise<Awaited<R>> => {
      try {
        const value: Awaited<R> = await fn(...args);
        store.set(key, value, byteSize(value), ttlMs);
        return value;
      } finally {
        inFlight.delete(key);
      }
    })();
    inFlight.set(key, result);
    return result;
  };
  return Object.assign(call, {
    stats: (): CachedStats => store.counters(),
    clear: () => store.clear(),
    invalidate: (...args: A) => store.delete(keyOf(args)),
    has: (...args: A) => store.has(keyOf(args)),
  });
}

/** A result's size for `maxBytes`: the length of its JSON (0 for what JSON cannot hold). */
function byteSize(value: unknown): number {
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return 0;
  }
}
