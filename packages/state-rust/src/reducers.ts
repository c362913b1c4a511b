import { deepMerge } from "./state.js";

/** Appends `right` (its items, when it is an array) to `left`, in a new array. */
export function appendReducer<T>(left: T[] | undefined, right: T | T[]): T[] {
  return (left ?? []).concat(right);
}

/** Plain objects merge recursively (see `deepMerge`); any other value replaces. */
export function deepMergeReducer<T>(left: T, right: unknown): T {
  return deepMerge(left, right);
}

/** The union of `left` and `right`, in a new `Set` (or `left` itself when `right` adds nothing). */
export function setUnionReducer<T>(left: Set<T> | undefined, right: Iterable<T>): Set<T> {
  const base = left ?? new Set<T>();
  let union: Set<T> | undefined;
  for (const item of right) {
    if (!(union ?? base).has(item)) (union ??= new Set(base)).add(item);
  }
  return union ?? base;
}

export function sumReducer(left: number, right: number): number {
  return left + right;
}
