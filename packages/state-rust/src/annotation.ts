import type { BaseMessage } from "@langchain/core/messages";
import { Annotation, MessagesValue as OfficialMessagesValue, ReducedValue, type Messages } from "@langchain/langgraph";

import { messagesReducer } from "./messages-reducer.js";

/** `MessagesAnnotation` with `messagesReducer`: adopting it is a one-line change. */
export const MessagesAnnotation = Annotation.Root({
  messages: Annotation<BaseMessage[], Messages>({
    reducer: messagesReducer,
    default: () => [],
  }),
});

/** `MessagesValue` (for `StateSchema`) with `messagesReducer`, and LangGraph's own schemas. */
export const MessagesValue = new ReducedValue(OfficialMessagesValue.valueSchema, {
  inputSchema: OfficialMessagesValue.inputSchema,
  reducer: messagesReducer,
  jsonSchemaExtra: OfficialMessagesValue.jsonSchemaExtra,
});
