import { BaseCache } from "@langchain/core/caches";
import type { Generation } from "@langchain/core/outputs";

import type { MemoryStoreCounters } from "./memory-store.js";
import { resultsFor, type Results, type ResultsOptions } from "./results.js";

export interface RustLLMCacheOptions extends ResultsOptions {
  /** Where answers live in `cache` or `path`. Default `"llm"`. */
  namespace?: string;
}

const DEFAULT_MAX_ENTRIES = 1000;

/**
 * A model cache for `@langchain/core` (`new ChatModel({ cache: new RustLLMCache() })`): bounded,
 * expiring, with statistics. Answers are keyed by the whole prompt and model key, compared whole,
 * so two prompts never share an answer. In memory, like the core `InMemoryCache`, answers are kept
 * as they are; with `cache` or `path` they are stored serialized.
 */
export class RustLLMCache<T = Generation[]> extends BaseCache<T> {
  readonly #results: Results<T>;

  constructor(options: RustLLMCacheOptions = {}) {
    super();
    this.#results = resultsFor<T>({ ...options, namespace: options.namespace ?? "llm" }, DEFAULT_MAX_ENTRIES);
  }

  async lookup(prompt: string, llmKey: string): Promise<T | null> {
    const hit = await this.#results.lookup(JSON.stringify([prompt, llmKey]));
    return hit ? hit.value : null;
  }

  async update(prompt: string, llmKey: string, value: T): Promise<void> {
    await this.#results.store(JSON.stringify([prompt, llmKey]), value);
  }

  /** With `cache` or `path`, the statistics of that whole cache. */
  stats(): MemoryStoreCounters {
    return this.#results.stats();
  }

  /** Forgets every answer. */
  async clear(): Promise<void> {
    await this.#results.clear();
  }

  /** Closes the file opened for `path`; a no-op otherwise. */
  close(): Promise<void> {
    return this.#results.close();
  }
}
