interface Entry<T> {
  value: T;
  /** `performance.now()` after which the entry is gone; `undefined` for never. */
  expires: number | undefined;
  size: number;
}

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

/** Bytes counted per entry beside its key and the size the caller gives (the Map entry and the entry object). */
const ENTRY_OVERHEAD = 100;
/** Expired entries examined at the old end on each `set`: expiry does not wait for a read. */
const SWEEP = 8;

/**
 * Entries in a `Map` kept in least-recently-used order (a read moves an entry to the end), so the
 * first key is always the next to evict: O(1) for every operation.
 */
export class MemoryStore<T> {
  readonly #entries = new Map<string, Entry<T>>();
  #bytes = 0;
  #counters = { hits: 0, misses: 0, evictions: 0, expirations: 0 };

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {}

  /** The entry's value, wrapped so that a stored `undefined` is told from a miss. */
  get(key: string, now: number): { value: T } | undefined {
    const entry = this.#entries.get(key);
    if (entry && !expired(entry, now)) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      this.#counters.hits++;
      return entry;
    }
    if (entry) {
      this.#remove(key, entry);
      this.#counters.expirations++;
    }
    this.#counters.misses++;
    return undefined;
  }

  /** Whether `key` holds a live entry; neither a hit nor a miss, and the entry's place does not change. */
  has(key: string, now: number): boolean {
    const entry = this.#entries.get(key);
    return entry !== undefined && !expired(entry, now);
  }

  /**
   * Stores a value of about `bytes` bytes, then evicts the least recently used until within the
   * limits. A value larger than `maxBytes` is not kept.
   */
  set(key: string, value: T, bytes: number, ttlMs: number | undefined, now: number): void {
    this.delete(key);
    this.#sweep(now);
    const size = ENTRY_OVERHEAD + key.length + bytes;
    if (size > this.maxBytes) {
      this.#counters.evictions++;
      return;
    }
    this.#entries.set(key, { value, expires: ttlMs === undefined ? undefined : now + ttlMs, size });
    this.#bytes += size;
    while (this.#entries.size > this.maxEntries || this.#bytes > this.maxBytes) {
      const [oldest, entry] = this.#entries.entries().next().value!;
      this.#remove(oldest, entry);
      if (expired(entry, now)) this.#counters.expirations++;
      else this.#counters.evictions++;
    }
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (entry) this.#remove(key, entry);
  }

  /** Removes the entries whose key starts with `prefix`. */
  clearPrefix(prefix: string): void {
    for (const [key, entry] of this.#entries) {
      if (key.startsWith(prefix)) this.#remove(key, entry);
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  counters(): MemoryStoreCounters {
    const { hits, misses } = this.#counters;
    const hitRate = hits + misses === 0 ? 0 : hits / (hits + misses);
    return { ...this.#counters, entries: this.#entries.size, bytes: this.#bytes, hitRate };
  }

  #remove(key: string, entry: Entry<T>): void {
    this.#entries.delete(key);
    this.#bytes -= entry.size;
  }

  #sweep(now: number): void {
    let examined = 0;
    for (const [key, entry] of this.#entries) {
      if (examined++ >= SWEEP || !expired(entry, now)) return;
      this.#remove(key, entry);
      this.#counters.expirations++;
    }
  }
}

function expired(entry: Entry<unknown>, now: number): boolean {
  return entry.expires !== undefined && now >= entry.expires;
}
