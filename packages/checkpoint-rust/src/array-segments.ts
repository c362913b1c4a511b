import type { SerializerProtocol } from "@langchain/langgraph-checkpoint";

import { plainJsonText } from "@fast-langgraph/serde";

import { ByPlace, MessageList, isStockArray, record, unchanged, type Encoded, type ListPlace } from "./message-list.js";

/**
 * A run shorter than this (in UTF-16 units) takes the next put's new elements in: runs of tiny
 * elements (numbers, short strings) stay few, so reads stay cheap, for a bounded rewrite of each.
 */
const RUN_BYTES = 256;

/** Consecutive elements of a plain array, stored as one element of the list. */
interface Run extends Encoded {
  /** The elements, as they were when encoded. */
  elements: unknown[];
  /** `record` of each object element, `undefined` for a primitive; `null` for an object too large to check. */
  snapshots: (unknown[] | null | undefined)[];
}

/**
 * `dumpsTyped` for a plain array (JSON values only: no class instances, no `undefined`) that grows
 * by appending, as runs of elements whose JSON, joined, is the array's: byte for byte what the stock
 * `JsonPlusSerializer` writes. It remembers the runs of the last put of each channel; when the next
 * put's parent is that checkpoint, the runs the array still starts with (the same values and
 * objects, in order) are reused while their objects hold the keys and values recorded for them (as
 * `MessageListEncoder` checks messages), serialized again when one changed in place, and only what
 * follows them is new. The store keeps each run once per thread, as it does messages.
 */
export class ArraySegmenter {
  readonly #last = new ByPlace<Run[]>();

  /** `value` as runs, or `undefined` when it is not a plain array (left to the whole-value path). */
  encode(serde: SerializerProtocol, value: unknown, place: ListPlace): MessageList | undefined {
    if (!isStockArray(serde, value)) return undefined;
    const runs: Run[] = [];
    let end = 0;
    for (const run of this.#last.ofParent(place) ?? []) {
      if (!holds(value, end, run)) break;
      // The same objects, changed in place: this run again, the ones after it as they were.
      const kept = unchangedRun(run) ? run : newRun(serde, run.elements, undefined);
      if (!kept) return undefined;
      runs.push(kept);
      end += run.elements.length;
    }
    // A short last run is extended rather than followed by another.
    const extended = runs.length > 0 && end < value.length && runs[runs.length - 1].json.length < RUN_BYTES;
    const base = extended ? runs.pop() : undefined;
    if (end < value.length) {
      const run = newRun(serde, value.slice(end), base);
      if (!run) return undefined;
      runs.push(run);
    }
    this.#last.set(place, runs);
    return new MessageList(runs);
  }
}

/** Whether `value` holds `run`'s elements (the same values or objects) from index `start`. */
function holds(value: unknown[], start: number, { elements }: Run): boolean {
  if (start + elements.length > value.length) return false;
  for (let i = 0; i < elements.length; i++) if (value[start + i] !== elements[i]) return false;
  return true;
}

/** Whether the objects among `run`'s elements still hold what they held when it was encoded. */
function unchangedRun({ snapshots }: Run): boolean {
  for (const snapshot of snapshots) {
    if (snapshot === null || (snapshot !== undefined && !unchanged(snapshot))) return false;
  }
  return true;
}

/** `added` as one run, after `base`'s elements; `undefined` if one of them is not plain JSON. */
function newRun(serde: SerializerProtocol, added: unknown[], base: Run | undefined): Run | undefined {
  const text = plainJsonText(serde, added);
  if (text === undefined) return undefined;
  const json = text.slice(1, -1);
  const snapshots = added.map((element) =>
    typeof element === "object" && element !== null ? (record(element) ?? null) : undefined,
  );
  if (!base) return { json, elements: added, snapshots };
  return {
    json: `${base.json},${json}`,
    elements: [...base.elements, ...added],
    snapshots: [...base.snapshots, ...snapshots],
  };
}
