import { LRUCache } from "lru-cache";

export interface MemoryStoreCounters {
  hits: number;
  misses: number;
  /** Entries removed to stay within the limits, or too large to keep at all. */
  evictions: number;
  /** Entries removed because their time to live had passed. */
  expirations: number;
  entries: number;
  bytes: number;
  /** `hits / (hits + misses)`, or 0 before the first lookup. */
  hitRate: number;
}

/** `hits / (hits + misses)`, or 0 before the first lookup. */
export function hitRate(hits: number, misses: number): number {
  return hits + misses === 0 ? 0 : hits / (hits + misses);
}

/** Bytes counted per entry beside its key and the size the caller gives (the entry's bookkeeping). */
const ENTRY_OVERHEAD = 100;

/**
 * Entries in least-recently-used order within a count and a byte limit, each with an optional time
 * to live, and counted. The order is kept by `lru-cache`, in arrays: a hit moves no `Map` entry,
 * which cost twice as much per lookup as a `Map` kept in order by deleting and re-adding.
 */
export class MemoryStore<T> {
  readonly #entries: LRUCache<string, { value: T }>;
  #counters = { hits: 0, misses: 0, evictions: 0, expirations: 0 };

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {
    this.#entries = new LRUCache({
      max: maxEntries,
      maxSize: maxBytes,
      dispose: (_value, _key, reason) => {
        if (reason === "evict") this.#counters.evictions++;
        else if (reason === "expire") this.#counters.expirations++;
      },
    });
  }

  /** The entry's value, wrapped so that a stored `undefined` is told from a miss. */
  get(key: string): { value: T } | undefined {
    const entry = this.#entries.get(key);
    if (entry) this.#counters.hits++;
    else this.#counters.misses++;
    return entry;
  }

  /** Whether `key` holds a live entry; neither a hit nor a miss, and the entry's place does not change. */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /**
   * Stores a value of about `bytes` bytes, evicting the least recently used to stay within the
   * limits. A value larger than `maxBytes` is not kept.
   */
  set(key: string, value: T, bytes: number, ttlMs: number | undefined): void {
    const size = ENTRY_OVERHEAD + key.length + bytes;
    if (size > this.maxBytes) {
      this.#entries.delete(key);
      this.#counters.evictions++;
      return;
    }
    // A ttl of 0 means "never" to lru-cache: 0 here means "already expired".
    this.#entries.set(key, { value }, { size, ttl: ttlMs === 0 ? Number.MIN_VALUE : ttlMs });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Removes the entries whose key starts with `prefix`. */
  clearPrefix(prefix: string): void {
    for (const key of [...this.#entries.keys()]) {
      if (key.startsWith(prefix)) this.#entries.delete(key);
    }
  }

  clear(): void {
    this.#entries.clear();
  }

  counters(): MemoryStoreCounters {
    const { hits, misses } = this.#counters;
    return {
      ...this.#counters,
      entries: this.#entries.size,
      bytes: this.#entries.calculatedSize,
      hitRate: hitRate(hits, misses),
    };
  }
}
