import { FastLangGraphError } from "@fast-langgraph/native/errors";

import { MemoryStore } from "./memory-store.js";

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** `maxEntries` and `maxBytes` (default 64 MiB), checked. */
export function limitOptions(
  options: { maxEntries?: number; maxBytes?: number },
  defaultMaxEntries: number,
): { maxEntries: number; maxBytes: number } {
  return {
    maxEntries: limitOption("maxEntries", options.maxEntries, defaultMaxEntries),
    maxBytes: limitOption("maxBytes", options.maxBytes, DEFAULT_MAX_BYTES),
  };
}

/** The in-memory store of a cache with these limits. */
export function boundedStore<T>(
  options: { maxEntries?: number; maxBytes?: number },
  defaultMaxEntries: number,
): MemoryStore<T> {
  const { maxEntries, maxBytes } = limitOptions(options, defaultMaxEntries);
  return new MemoryStore(maxEntries, maxBytes);
}

/** A limit such as `maxEntries`: a whole number of at least 1, or `fallback` when not given. */
function limitOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (Number.isSafeInteger(value) && value >= 1) return value;
  throw new FastLangGraphError("FLG_INVALID_ARGUMENT", `${name} must be a whole number of at least 1, not ${value}`);
}

/** A time to live in seconds, as milliseconds: a finite number of at least 0, or `undefined`. */
export function ttlOption(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (Number.isFinite(value) && value >= 0) return value * 1000;
  throw new FastLangGraphError("FLG_INVALID_ARGUMENT", `ttl must be a number of seconds of at least 0, not ${value}`);
}
