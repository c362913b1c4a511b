import { RemoveMessage, type BaseMessage, type BaseMessageLike } from "@langchain/core/messages";
import { v4 } from "@langchain/core/utils/uuid";
import { REMOVE_ALL_MESSAGES, messagesStateReducer, type Messages } from "@langchain/langgraph";

import { extended, indexOf, indexed, positionIn } from "./id-index.js";
import { toMessage } from "./to-message.js";

/**
 * A drop-in for `messagesStateReducer` (`addMessages`), with its exact semantics: message-like
 * inputs coerced, missing ids assigned, a message with a known id replaces it, `RemoveMessage`
 * removes by id (and `REMOVE_ALL_MESSAGES` clears), removing an unknown id throws the same error.
 *
 * It stays fast as the list grows. LangGraph's reducer indexes every id of the list on every call;
 * this one remembers the index of each list it returned and extends it, so an append costs a copy of
 * the list and nothing per message already in it. A list it did not make (the first call of a run,
 * a list restored from a checkpoint) goes through `messagesStateReducer` itself, once.
 * Neither list passed in is changed; like LangGraph's, it gives id-less messages an id in place.
 */
export function messagesReducer(left: Messages, right: Messages): BaseMessage[] {
  const index = Array.isArray(left) ? indexOf(left as BaseMessage[]) : undefined;
  if (index === undefined) return indexed(messagesStateReducer(left, right));
  const base = left as BaseMessage[];

  const incoming = ((Array.isArray(right) ? right : [right]) as BaseMessageLike[]).map(toMessage);
  let removeAllAt = -1;
  for (let i = 0; i < incoming.length; i++) {
    const m = incoming[i];
    if (m.id === null || m.id === undefined) {
      m.id = v4();
      m.lc_kwargs.id = m.id;
    }
    if (RemoveMessage.isInstance(m) && m.id === REMOVE_ALL_MESSAGES) removeAllAt = i;
  }
  if (removeAllAt >= 0) return indexed(incoming.slice(removeAllAt + 1));

  const merged = base.slice();
  const appended = new Map<string, number>();
  let removed: Set<string> | undefined;
  for (const m of incoming) {
    const id = m.id as string;
    const at = appended.get(id) ?? positionIn(base, index, id);
    // The list's messages changed ids in place: index it afresh, the way LangGraph does.
    if (at === null) return indexed(messagesStateReducer(left, right));
    if (at !== undefined) {
      if (RemoveMessage.isInstance(m)) (removed ??= new Set()).add(id);
      else {
        removed?.delete(id);
        merged[at] = m;
      }
    } else {
      if (RemoveMessage.isInstance(m)) {
        throw new Error(`Attempting to delete a message with an ID that doesn't exist ('${id}')`);
      }
      appended.set(id, merged.length);
      merged.push(m);
    }
  }
  if (removed?.size) {
    const gone = removed;
    return indexed(merged.filter((m) => !gone.has(m.id as string)));
  }
  return extended(merged, base, index, appended);
}
