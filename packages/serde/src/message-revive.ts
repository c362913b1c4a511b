import * as messages from "@langchain/core/messages";
import type { BaseMessage } from "@langchain/core/messages";
import type { SerializerProtocol } from "@langchain/langgraph-checkpoint";

import { isStockSerializer } from "./plain-json.js";

type MessageClass = new (fields: Record<string, unknown>) => BaseMessage;

/** The classes `load()` finds under `["langchain_core", "messages", name]`. */
const MESSAGE_CLASSES: Record<string, MessageClass> = Object.fromEntries(
  [
    "AIMessage",
    "AIMessageChunk",
    "ChatMessage",
    "ChatMessageChunk",
    "FunctionMessage",
    "FunctionMessageChunk",
    "HumanMessage",
    "HumanMessageChunk",
    "RemoveMessage",
    "SystemMessage",
    "SystemMessageChunk",
    "ToolMessage",
    "ToolMessageChunk",
  ].map((name) => [name, messages[name as keyof typeof messages] as unknown as MessageClass]),
);

/** Well inside `load()`'s own depth limit, so that nothing it would refuse is built here. */
const MAX_DEPTH = 40;
const SLOW = Symbol("slow path");
/** An `undefined` inside a message's fields: the JSON round trip drops it from objects, nulls it in arrays. */
const DROPPED = Symbol("dropped");

/**
 * `loadsTyped("json", data)` of the stock serializer for values whose only LangChain objects are
 * messages with plain fields, without its asynchronous walk and its second parse per message.
 * Anything else (other records, escaped or `lc` keys in data, `__proto__` keys, deep nesting) is
 * `undefined`: the stock serializer reads it.
 *
 * For such a message the stock path revives the fields (a no-op for plain data), writes them back
 * to JSON, and `load()` parses them and calls the class with camel-cased keys; this builds the same
 * call directly. A JSON round trip changes plain data only in turning -0 into 0, which is done here too.
 */
export function parseWithMessages(
  serde: SerializerProtocol,
  type: string,
  data: Uint8Array,
): { value: unknown } | undefined {
  if (type !== "json" || !isStockSerializer(serde)) return undefined;
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const value = revive(JSON.parse(buf.toString("utf8")), 0, false);
  return value === SLOW ? undefined : { value };
}

/**
 * Rebuilds parsed JSON as the stock reviver does. A message's fields go through JSON once more on
 * the stock path, so inside them an `undefined` is dropped from objects and null in arrays, and -0
 * becomes 0; outside them an `undefined` stays `undefined`.
 */
function revive(value: unknown, depth: number, inMessage: boolean): unknown {
  if (typeof value === "number") return inMessage && Object.is(value, -0) ? 0 : value;
  if (typeof value !== "object" || value === null) return value;
  if (depth > MAX_DEPTH) return SLOW;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = revive(value[i], depth + 1, inMessage);
      if (item === SLOW) return SLOW;
      out[i] = item === DROPPED ? null : item;
    }
    return out;
  }
  const record = value as Record<string, unknown>;
  if (hasOwn(record, "lc")) {
    if (isUndefinedRecord(record)) return inMessage ? DROPPED : undefined;
    return inMessage ? SLOW : reviveMessage(record, depth);
  }
  if (hasOwn(record, "__proto__") || hasOwn(record, "__lc_escaped__")) return SLOW;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    const item = revive(record[key], depth + 1, inMessage);
    if (item === SLOW) return SLOW;
    if (item !== DROPPED) out[key] = item;
  }
  return out;
}

function reviveMessage(record: Record<string, unknown>, depth: number): unknown {
  const { lc, type, id, kwargs } = record;
  if (lc !== 1 || type !== "constructor" || !Array.isArray(id) || id.length !== 3) return SLOW;
  if (id[0] !== "langchain_core" || id[1] !== "messages" || !hasOwn(MESSAGE_CLASSES, id[2])) return SLOW;
  if (typeof kwargs !== "object" || kwargs === null || Array.isArray(kwargs)) return SLOW;
  const fields = revive(kwargs, depth + 1, true);
  if (fields === SLOW || fields === DROPPED) return SLOW;
  const name = id[2] as string;
  const Message = MESSAGE_CLASSES[name];
  const aliases = invertedAliases(Message);
  const mapped: Record<string, unknown> = {};
  for (const key in fields as Record<string, unknown>) {
    if (hasOwn(fields as object, key))
      mapped[aliases[key] || camelCase(key)] = (fields as Record<string, unknown>)[key];
  }
  const message = new Message(mapped);
  // As `load()` does, for every message it builds.
  Object.defineProperty(message.constructor, "name", { value: name });
  return message;
}

/** What the stock serializer writes for `undefined`. */
function isUndefinedRecord(record: Record<string, unknown>): boolean {
  return record.lc === 2 && record.type === "undefined";
}

const aliasCache = new Map<MessageClass, Record<string, string>>();

/** `lc_aliases` of the class and its ancestors, from serialized name to field name, as `load()` reads them. */
function invertedAliases(Message: MessageClass): Record<string, string> {
  let inverted = aliasCache.get(Message);
  if (!inverted) {
    const aliases: Record<string, string> = {};
    for (let current: unknown = Message; typeof current === "function" && current.prototype; ) {
      Object.assign(aliases, Reflect.get(current.prototype as object, "lc_aliases"));
      current = Object.getPrototypeOf(current);
    }
    inverted = {};
    for (const [key, value] of Object.entries(aliases)) inverted[value] = key;
    aliasCache.set(Message, inverted);
  }
  return inverted;
}

/** The key `load()` gives a constructor for a serialized `snake_case` key. */
function camelCase(key: string): string {
  const trimmed = key.trim();
  if (!/[-_\s]/.test(trimmed)) return trimmed;
  return trimmed
    .replace(/[-_\s]+/g, "_")
    .toLowerCase()
    .replace(/_+([a-z0-9])/g, (_, char: string) => char.toUpperCase());
}

function hasOwn(value: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(value, key);
}
