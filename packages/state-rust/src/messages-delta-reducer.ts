import { RemoveMessage, type BaseMessage, type BaseMessageLike } from "@langchain/core/messages";
import { REMOVE_ALL_MESSAGES, messagesDeltaReducer as officialDeltaReducer } from "@langchain/langgraph";

import { extended, indexOf, indexed, positionIn } from "./id-index.js";
import { toMessage } from "./to-message.js";

type Write = BaseMessageLike | BaseMessageLike[];

/**
 * A drop-in for `messagesDeltaReducer`, the batch reducer of a `DeltaChannel`, with its exact
 * semantics (batching-invariant; unknown-id removals ignored; id-less messages appended as they
 * are). Like `messagesReducer`, it extends the index of a list it returned instead of rebuilding it.
 */
export function messagesDeltaReducer(state: BaseMessage[], writes: Write[]): BaseMessage[] {
  const index = indexOf(state);
  const incoming: BaseMessage[] = [];
  for (const w of writes) {
    if (Array.isArray(w)) for (const m of w as BaseMessageLike[]) incoming.push(toMessage(m));
    else incoming.push(toMessage(w));
  }
  const official = () => indexed(officialDeltaReducer(state, writes));
  if (index === undefined || incoming.some((m) => RemoveMessage.isInstance(m) && m.id === REMOVE_ALL_MESSAGES)) {
    return official();
  }
  const result: (BaseMessage | null)[] = state.slice();
  const appended = new Map<string, number>();
  let removed: Set<string> | undefined;
  for (const m of incoming) {
    const id = m.id;
    if (id == null) {
      result.push(m);
      continue;
    }
    // Removed earlier in this batch: absent from the list, unless written again since.
    const at = appended.has(id) ? appended.get(id) : removed?.has(id) ? undefined : positionIn(state, index, id);
    if (at === null) return official();
    if (RemoveMessage.isInstance(m)) {
      if (at !== undefined) {
        result[at] = null;
        (removed ??= new Set()).add(id);
        appended.delete(id);
      }
    } else if (at !== undefined) result[at] = m;
    else {
      appended.set(id, result.length);
      result.push(m);
    }
  }
  if (removed) return indexed(result.filter((m): m is BaseMessage => m !== null));
  return extended(result as BaseMessage[], state, index, appended);
}

// LangGraph stamps ids on the writes of a channel whose reducer carries this mark, as it does for its own.
Object.defineProperty(messagesDeltaReducer, Symbol.for("langgraph.messages_delta_reducer"), { value: true });
