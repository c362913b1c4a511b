import {
  AIMessage,
  BaseMessageChunk,
  ChatMessage,
  FunctionMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
  coerceMessageLikeToMessage,
  type BaseMessage,
  type BaseMessageLike,
} from "@langchain/core/messages";

// The fields come from a chunk of the same type, so each class gets what it needs.
const MESSAGE_CLASS_BY_TYPE = {
  human: HumanMessage,
  ai: AIMessage,
  system: SystemMessage,
  tool: ToolMessage,
  function: FunctionMessage,
  generic: ChatMessage,
} as unknown as Record<string, new (fields: Record<string, unknown>) => BaseMessage>;

/**
 * A message-like value as LangGraph's reducers coerce it: a message instance stays itself,
 * `{ role, content }` / `{ type, content }` objects and strings become messages, and a chunk becomes
 * its non-chunk class. (`@langchain/langgraph` does not export its own.)
 */
export function toMessage(messageLike: BaseMessageLike): BaseMessage {
  const message = coerceMessageLikeToMessage(messageLike);
  if (!BaseMessageChunk.isInstance(message)) return message;
  const MessageClass = MESSAGE_CLASS_BY_TYPE[message.getType()];
  if (MessageClass === undefined) return message;
  return new MessageClass(
    Object.fromEntries(
      Object.entries(message).filter(([key]) => key !== "type" && key !== "tool_call_chunks" && !key.startsWith("lc_")),
    ),
  );
}
