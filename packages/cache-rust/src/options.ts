import { FastLangGraphError } from "@fast-langgraph/native/errors";

/** A limit such as `maxEntries`: a whole number of at least 1, or `fallback` when not given. */
export function limitOption(name: string, value: number | undefined, fallback: number): number {
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
