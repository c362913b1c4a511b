import { describe, expect, it } from "vitest";

import {
  appendReducer,
  applyWrites,
  deepEqual,
  deepMerge,
  deepMergeReducer,
  mergeState,
  setUnionReducer,
  stateDiff,
  statesEqual,
  sumReducer,
} from "../src/index.js";

/** Freezes a value in depth: an operation that tried to change it would throw (modules are strict). */
function frozen<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) frozen(v);
  }
  return value;
}

describe("state operations", () => {
  it("mergeState replaces top-level keys, skips undefined, and changes neither argument", () => {
    const state = frozen({ a: 1, b: { x: 1 }, c: [1] });
    expect(mergeState(state, frozen({ b: { y: 2 }, c: undefined, d: "new" }) as never)).toEqual({
      a: 1,
      b: { y: 2 },
      c: [1],
      d: "new",
    });
  });

  it("deepMerge merges plain objects in depth, replaces everything else, and shares untouched subtrees", () => {
    const a = frozen({ keep: { deep: [1, 2] }, over: { x: 1, y: { z: 1 } }, list: [1, 2], when: new Date(0) });
    const b = frozen({ over: { y: { w: 2 }, v: 3 }, list: [3], when: new Date(1), skip: undefined });
    const merged = deepMerge(a, b);
    expect(merged).toEqual({
      keep: { deep: [1, 2] },
      over: { x: 1, y: { z: 1, w: 2 }, v: 3 },
      list: [3],
      when: new Date(1),
    });
    expect(merged.keep).toBe(a.keep);
    expect(deepMergeReducer({ a: { b: 1 } }, { a: { c: 2 } })).toEqual({ a: { b: 1, c: 2 } });
    expect(deepMerge({ a: 1 }, 5)).toBe(5);
    expect(deepMerge(5, undefined)).toBe(5);
  });

  it("applyWrites applies writes in order, appends to appendKeys, and copies each list once", () => {
    const state = frozen({ log: ["a"], n: 1, other: ["x"] });
    const next = applyWrites(
      state,
      [
        ["log", "b"],
        ["n", 2],
        ["log", ["c", "d"]],
        ["other", ["y"]],
        ["fresh", 1],
        ["tags", "t1"],
      ],
      { appendKeys: ["log", "tags"] },
    );
    expect(next).toEqual({ log: ["a", "b", "c", "d"], n: 2, other: ["y"], fresh: 1, tags: ["t1"] });
    // A replaced append key starts over from the written value.
    expect(applyWrites({ log: ["a"] }, [["log", "b"]], {}).log).toBe("b");
  });

  it("stateDiff reports added, changed (in depth) and removed keys", () => {
    const shared = { big: [1, 2, 3] };
    const before = frozen({ same: shared, equal: { a: [1, { b: 2 }] }, changed: { a: 1 }, gone: 1 });
    const after = frozen({ same: shared, equal: { a: [1, { b: 2 }] }, changed: { a: 2 }, added: null });
    expect(stateDiff(before, after)).toEqual({ added: ["added"], changed: ["changed"], removed: ["gone"] });
  });

  it("statesEqual and deepEqual compare in depth, by prototype, Date, Map and Set", () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const cases: [unknown, unknown, boolean][] = [
      [{ a: [1, 2] }, { a: [1, 2] }, true],
      [{ a: [1, 2] }, { a: [2, 1] }, false],
      [{ a: 1, b: undefined }, { a: 1 }, false],
      [new Date(5), new Date(5), true],
      [new Date(5), 5, false],
      [new Map([["k", { v: 1 }]]), new Map([["k", { v: 1 }]]), true],
      [new Map([["k", 1]]), new Map([["k", 2]]), false],
      [new Set([1, 2]), new Set([2, 1]), true],
      [new Point(1, 2), { x: 1, y: 2 }, false],
      [new Point(1, 2), new Point(1, 2), true],
      [Number.NaN, Number.NaN, true],
      [[], {}, false],
    ];
    for (const [a, b, equal] of cases) expect(deepEqual(a, b), `${String(a)} / ${String(b)}`).toBe(equal);
    expect(statesEqual({ m: new Map([[1, [1]]]) }, { m: new Map([[1, [1]]]) })).toBe(true);
  });
});

describe("reducers", () => {
  it("append, set union and sum give new values and change nothing given", () => {
    const list = frozen([1]);
    expect(appendReducer(list, 2)).toEqual([1, 2]);
    expect(appendReducer(list, [2, 3])).toEqual([1, 2, 3]);
    expect(appendReducer(undefined, [1])).toEqual([1]);
    const set = new Set([1, 2]);
    const union = setUnionReducer(set, [2, 3]);
    expect([...union]).toEqual([1, 2, 3]);
    expect([...set]).toEqual([1, 2]);
    expect(setUnionReducer(set, new Set([1]))).toBe(set);
    expect(sumReducer(2, 3)).toBe(5);
  });
});
