import type { BaseMessage } from "@langchain/core/messages";

/**
 * Where each message id sits, shared by a line of lists each made from the one before by appending
 * or replacing in place: an entry at a position below a list's length holds for that list. `owner`
 * is the list whose ids the map holds; only a list made from it may add its own.
 */
interface IdIndex {
  positions: Map<string, number>;
  owner: readonly BaseMessage[];
}

interface Known {
  index: IdIndex;
  length: number;
  last: BaseMessage | undefined;
  /**
   * Until the list is used as a base: the list it was made from and the ids it appended. LangGraph
   * reduces the same base twice in a step (once to read the state a conditional edge sees, once for
   * real) and drops the first result: adding a list's ids only once it is built on keeps the line.
   */
  pending?: { parent: readonly BaseMessage[]; appended: Map<string, number> };
}

// Lists this package returned, so that the next call on one need not rebuild its index.
const known = new WeakMap<readonly BaseMessage[], Known>();

/**
 * The index of a list this package returned, or `undefined` for any other list, or for one changed
 * in place since (its length or last message differ).
 */
export function indexOf(list: readonly BaseMessage[]): IdIndex | undefined {
  const entry = known.get(list);
  if (!entry || entry.length !== list.length || entry.last !== list[list.length - 1]) return undefined;
  const { pending, index } = entry;
  if (pending === undefined) return index;
  entry.pending = undefined;
  // A sibling was built on first: this list starts a line of its own.
  if (index.owner !== pending.parent) return fresh(list);
  for (const [id, at] of pending.appended) index.positions.set(id, at);
  index.owner = list;
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
  const index = { positions, owner: list };
  known.set(list, { index, length: list.length, last: list[list.length - 1] });
  return index;
}

/** Remembers `list`, made from `base` (indexed by `index`) by replacing in place and appending `appended` (id -> position). */
export function extended(
  list: BaseMessage[],
  base: readonly BaseMessage[],
  index: IdIndex,
  appended: Map<string, number>,
): BaseMessage[] {
  known.set(list, { index, length: list.length, last: list[list.length - 1], pending: { parent: base, appended } });
  return list;
}

/** The position of `id` in `list` (indexed by `index`), checked against the list itself. */
export function positionIn(list: readonly BaseMessage[], index: IdIndex, id: string): number | undefined | null {
  const at = index.positions.get(id);
  if (at === undefined || at >= list.length) return undefined;
  // `null`: the list no longer holds what its index says (a message's id was changed in place).
  return list[at].id === id ? at : null;
}
