/** A stored value: JSON text from the plain-JSON fast path, or the serializer's own bytes. */
export interface StoredValue {
  kind: string;
  payload: string | Uint8Array;
}

interface Entry extends StoredValue {
  /** `performance.now()` after which the entry is gone; `undefined` for never. */
  expires: number | undefined;
  size: number;
}

export interface MemoryStoreCounters {
  hits: number;
  misses: number;
  evictions: number;
  expirations: number;
  entries: number;
  bytes: number;
}

/** Bytes counted per entry beside its key and value (the Map entry and the entry object). */
const ENTRY_OVERHEAD = 100;
/** Expired entries examined at the old end on each `set`: expiry does not wait for a read. */
const SWEEP = 8;

/**
 * Entries in a `Map` kept in least-recently-used order (a read moves an entry to the end), so the
 * first key is always the next to evict: O(1) for every operation.
 */
export class MemoryStore {
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;
  #counters = { hits: 0, misses: 0, evictions: 0, expirations: 0 };

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {}

  get(key: string, now: number): StoredValue | undefined {
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

  /** Stores a value, then evicts the least recently used until within the limits. A value larger than `maxBytes` is not kept. */
  set(key: string, value: StoredValue, ttlMs: number | undefined, now: number): void {
    const old = this.#entries.get(key);
    if (old) this.#remove(key, old);
    this.#sweep(now);
    const payloadBytes = typeof value.payload === "string" ? value.payload.length : value.payload.byteLength;
    const size = ENTRY_OVERHEAD + key.length + value.kind.length + payloadBytes;
    if (size > this.maxBytes) {
      this.#counters.evictions++;
      return;
    }
    this.#entries.set(key, { ...value, expires: ttlMs === undefined ? undefined : now + ttlMs, size });
    this.#bytes += size;
    while (this.#entries.size > this.maxEntries || this.#bytes > this.maxBytes) {
      const [oldest, entry] = this.#entries.entries().next().value!;
      this.#remove(oldest, entry);
      if (expired(entry, now)) this.#counters.expirations++;
      else this.#counters.evictions++;
    }
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
    return { ...this.#counters, entries: this.#entries.size, bytes: this.#bytes };
  }

  #remove(key: string, entry: Entry): void {
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

function expired(entry: Entry, now: number): boolean {
  return entry.expires !== undefined && now >= entry.expires;
}
