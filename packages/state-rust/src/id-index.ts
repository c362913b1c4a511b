import type { BaseMessage } from "@langchain/core/messages";

/**
 * Where each message id sits, shared by a line of lists each made from the one before by appending
 * or replacing in place: an entry at a position below a list's length holds for that list. Only the
 * list the map was last extended for (its owner, at `version`) may extend it further.
 */
interface IdIndex {
  positions: Map<string, number>;
  version: number;
}

interface Known {
  index: IdIndex;
  length: number;
  last: BaseMessage | undefined;
  /** The index version at which this list owns the map; while `appended` is set, at which its base did. */
  version: number;
  /**
   * Ids this list appended, added to the map only once the list is built on. LangGraph reduces the
   * same base twice in a step (once for the state a conditional edge reads, once for real) and drops
   * the first result: either may be the one kept.
   */
  appended?: Map<string, number>;
}

// Lists this package returned, so that the next call on one need not rebuild its index. Entries hold
// no list but their key: a chain of lists referring to each other would slow every garbage collection.
const known = new WeakMap<readonly BaseMessage[], Known>();

/**
 * The index of a list this package returned, or `undefined` for any other list, or for one changed
 * in place since (its length or last message differ).
 */
export function indexOf(list: readonly BaseMessage[]): IdIndex | undefined {
  const entry = known.get(list);
  if (!entry || entry.length !== list.length || entry.last !== list[list.length - 1]) return undefined;
  const { appended, index } = entry;
  if (appended === undefined) return index;
  // A sibling was built on first: this list starts a line of its own.
  if (entry.version !== index.version) return fresh(list);
  for (const [id, at] of appended) index.positions.set(id, at);
  entry.appended = undefined;
  entry.version = ++index.version;
  return index;
}

/** Remembers `list` with an index built from scratch. */
export function indexed(list: BaseMessage[]): BaseMessage[] {
  fresh(list);
  return list;
}

/** Indexes `list` from scratch, at the last position of each id, as LangGraph's reducers do. */
function fresh(list: readonly BaseMessage[]): IdIndex {
  const positions = new Map<string, number>();
  for (let i = 0; i < list.length; i++) {
    const id = list[i].id;
    if (id != null) positions.set(id, i);
  }
  const index = { positions, version: 0 };
  known.set(list, { index, length: list.length, last: list[list.length - 1], version: 0 });
  return index;
}

/**
 * Remembers `list`, made from `base` (just given by `indexOf`) by replacing in place and appending
 * `appended` (id -> position).
 */
export function extended(
  list: BaseMessage[],
  base: readonly BaseMessage[],
  index: IdIndex,
  appended: Map<string, number>,
): BaseMessage[] {
  // Only a list made from the owner may extend the map; any other starts afresh when built on.
  const version = known.get(base)?.version === index.version ? index.version : -1;
  known.set(list, { index, length: list.length, last: list[list.length - 1], version, appended });
  return list;
}

/** The position of `id` in `list` (indexed by `index`), checked against the list itself. */
export function positionIn(list: readonly BaseMessage[], index: IdIndex, id: string): number | undefined | null {
  const at = index.positions.get(id);
  if (at === undefined || at >= list.length) return undefined;
  // `null`: the list no longer holds what its index says (a message's id was changed in place).
  return list[at].id === id ? at : null;
}
