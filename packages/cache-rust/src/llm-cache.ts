import { BaseCache } from "@langchain/core/caches";
import type { Generation } from "@langchain/core/outputs";

import type { MemoryStore, MemoryStoreCounters } from "./memory-store.js";
import { boundedStore, ttlOption } from "./options.js";

export interface RustLLMCacheOptions {
  /** Seconds an answer stays cached; default: until evicted. */
  ttl?: number;
  /** Most answers kept; the least recently used go first. Default 1000. */
  maxEntries?: number;
  /** Most bytes kept, measured as each answer's JSON. Default 64 MiB. */
  maxBytes?: number;
}

const DEFAULT_MAX_ENTRIES = 1000;

/**
 * A model cache for `@langchain/core` (`new ChatModel({ cache: new RustLLMCache() })`): bounded,
 * expiring, with statistics. Answers are keyed by the whole prompt and model key, compared whole,
 * so two prompts never share an answer; like the core `InMemoryCache`, answers are kept as they are.
 */
export class RustLLMCache<T = Generation[]> extends BaseCache<T> {
  readonly #store: MemoryStore<T>;
  readonly #ttlMs: number | undefined;

  constructor(options: RustLLMCacheOptions = {}) {
    super();
    this.#ttlMs = ttlOption(options.ttl);
    this.#store = boundedStore(options, DEFAULT_MAX_ENTRIES);
  }

  async lookup(prompt: string, llmKey: string): Promise<T | null> {
    return this.#store.get(JSON.stringify([prompt, llmKey]))?.value ?? null;
  }

  async update(prompt: string, llmKey: string, value: T): Promise<void> {
    const bytes = JSON.stringify(value)?.length ?? 0;
    this.#store.set(JSON.stringify([prompt, llmKey]), value, bytes, this.#ttlMs);
  }

  stats(): MemoryStoreCounters {
    return this.#store.counters();
  }

  clear(): void {
    this.#store.clear();
  }
}
