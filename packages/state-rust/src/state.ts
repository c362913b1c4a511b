import { deepEqual, isPlainObject } from "./values.js";

type State = Record<string, unknown>;

/**
 * `update`'s keys replace `state`'s; keys whose value is `undefined` are left out, as LangGraph leaves
 * them out of a node's update. A new object: neither argument is changed.
 */
export function mergeState<S extends State>(state: S, update: Partial<S>): S {
  const merged: State = { ...state };
  for (const key of Object.keys(update)) {
    const value = update[key];
    if (value !== undefined) merged[key] = value;
  }
  return merged as S;
}

/**
 * Plain objects merge key by key, recursively; any other value of `b` (arrays included) replaces
 * `a`'s, and `undefined` leaves it. The result shares every subtree `b` does not touch; neither
 * argument is changed.
 */
export function deepMerge<T>(a: T, b: unknown): T {
  if (!isPlainObject(a) || !isPlainObject(b)) return (b === undefined ? a : b) as T;
  const merged: Record<string, unknown> = { ...a };
  for (const key of Object.keys(b)) {
    const value = b[key];
    if (value === undefined) continue;
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return merged as T;
}

export interface ApplyWritesOptions {
  /** Keys whose writes are appended to the list they hold (an array write adds its items), not replacing it. */
  appendKeys?: Iterable<string>;
}

/**
 * Applies `writes` (`[key, value]` pairs) in order: a write replaces the key's value, or, for an
 * `appendKeys` key, adds to its list. Each list is copied once however many writes it takes. A new
 * object: neither `state` nor any list in it is changed.
 */
export function applyWrites<S extends State>(
  state: S,
  writes: Iterable<readonly [string, unknown]>,
  options: ApplyWritesOptions = {},
): S {
  const append = new Set(options.appendKeys ?? []);
  const next: State = { ...state };
  // Lists this call made, and so may push to.
  const owned = new Set<string>();
  for (const [key, value] of writes) {
    if (!append.has(key)) {
      next[key] = value;
      owned.delete(key);
      continue;
    }
    if (!owned.has(key)) {
      const current = next[key];
      next[key] = current === undefined || current === null ? [] : Array.isArray(current) ? current.slice() : [current];
      owned.add(key);
    }
    const list = next[key] as unknown[];
    if (Array.isArray(value)) for (const item of value) list.push(item);
    else list.push(value);
  }
  return next as S;
}

export interface StateDiff {
  added: string[];
  changed: string[];
  removed: string[];
}

/** The top-level keys `after` adds to `before`, changes (compared in depth) and removes. */
export function stateDiff(before: State, after: State): StateDiff {
  const diff: StateDiff = { added: [], changed: [], removed: [] };
  for (const key of Object.keys(after)) {
    if (!Object.prototype.hasOwnProperty.call(before, key)) diff.added.push(key);
    else if (!deepEqual(before[key], after[key])) diff.changed.push(key);
  }
  for (const key of Object.keys(before)) {
    if (!Object.prototype.hasOwnProperty.call(after, key)) diff.removed.push(key);
  }
  return diff;
}

/** Whether two states are equal in depth (see `deepEqual`). */
export function statesEqual(a: State, b: State): boolean {
  return deepEqual(a, b);
}
