import { hash } from "node:crypto";

import { Serializable } from "@langchain/core/load/serializable";
import { BaseMessage } from "@langchain/core/messages";
import type { SerializerProtocol } from "@langchain/langgraph-checkpoint";

import { isStockSerializer, plainJsonText } from "@fast-langgraph/serde";

/** What the stock serializer writes for the whole value when stringifying throws. */
const UNSERIALIZABLE = JSON.stringify("[unable to serialize, circular reference is too complex to analyze]");
/** Messages with more values than this are serialized whole every time. */
const MAX_VALUES = 2_000;

/** Length that marks a frame element sent by hash alone (`crates/core/src/store/chunks.rs`). */
const ABSENT = 0xffffffff;
const HASH_BYTES = 32;
/** Channels whose last list is remembered, so that the next put can send only what follows it. */
const MAX_REMEMBERED = 1024;

/** One element of a stored list: a message, or a run of a plain array's elements. */
export interface Encoded {
  /** JSON of the element; for a run of elements, theirs joined with `,`. */
  json: string;
  /** UTF-8 length and SHA-256 of `json`, computed when the element is first stored as a chunk. */
  bytes?: number;
  hash?: Buffer;
  /** The thread whose stored messages this one was last seen among. */
  storedIn?: string;
}

interface EncodedMessage extends Encoded {
  /** `[container, keys, ...values of those keys, container, keys, ...]` for every object in the message. */
  snapshot: unknown[];
}

/** A list of encoded elements; joined, it is the list's JSON. */
export class MessageList {
  /** Where the last frame of this list began: the messages before it were the parent's. */
  sentFrom = 0;

  constructor(readonly items: Encoded[]) {}

  /** Bytes of the list's JSON. */
  get byteLength(): number {
    let n = 1 + this.items.length;
    for (const item of this.items) n += item.bytes ??= Buffer.byteLength(item.json);
    return n;
  }

  /** The list's JSON, as `JsonPlusSerializer` writes it. */
  json(): Uint8Array {
    return Buffer.from(`[${this.items.map((item) => item.json).join(",")}]`);
  }
}

/**
 * Where a list is put: a channel of a thread and namespace, at `version`, in a checkpoint whose
 * parent is `parentId`.
 */
export interface ListPlace {
  threadId: string;
  checkpointNs: string;
  channel: string;
  version: string;
  checkpointId: string;
  parentId: string | undefined;
}

/**
 * Frames message lists for the store, which keeps each message once per thread
 * (`crates/core/src/store/chunks.rs`). It remembers the list last stored in each channel: when a
 * put's parent is that checkpoint, the new list is sent as the length of the prefix it shares with
 * it (compared by identity of the encoded messages, which `MessageListEncoder` keeps only while
 * unchanged) and the messages after it. A message the thread stores already is sent by hash alone.
 */
export class MessageListFramer {
  readonly #last = new ByPlace<{ version: string; items: Encoded[] }>();

  /** The frame of `list`; with `everything`, every message whole (after the store found one missing). */
  frame(list: MessageList, place: ListPlace, everything: boolean): Uint8Array {
    const { items } = list;
    const last = everything ? undefined : this.#last.ofParent(place);
    let prefix = 0;
    if (last) {
      const max = Math.min(items.length, last.items.length);
      while (prefix < max && items[prefix] === last.items[prefix]) prefix++;
    }
    list.sentFrom = prefix;
    // The store checks that the parent's list is still the version this prefix was taken from.
    const prefixOf = prefix > 0 ? last!.version : "";
    const sendBytes = (item: Encoded) => everything || item.storedIn !== place.threadId;
    let size = 8 + Buffer.byteLength(prefixOf);
    for (let i = prefix; i < items.length; i++) {
      const item = items[i];
      item.hash ??= hash("sha256", item.json, "buffer");
      size += HASH_BYTES + 4 + (sendBytes(item) ? (item.bytes ??= Buffer.byteLength(item.json)) : 0);
    }
    const out = Buffer.allocUnsafe(size);
    let pos = out.writeUInt32LE(prefix, 0);
    pos = out.writeUInt32LE(Buffer.byteLength(prefixOf), pos);
    pos += out.write(prefixOf, pos, "utf8");
    for (let i = prefix; i < items.length; i++) {
      const item = items[i];
      pos += item.hash!.copy(out, pos);
      if (sendBytes(item)) {
        pos = out.writeUInt32LE(item.bytes!, pos);
        pos += out.write(item.json, pos, "utf8");
      } else {
        pos = out.writeUInt32LE(ABSENT, pos);
      }
    }
    return out;
  }

  /** After a put of `frame(list, place)` succeeded: the thread stores every message of the list. */
  stored(list: MessageList, place: ListPlace): void {
    const { items } = list;
    // The shared prefix was marked when the parent's list was stored (or by another thread since: sent whole then).
    for (let i = list.sentFrom; i < items.length; i++) items[i].storedIn = place.threadId;
    this.#last.set(place, { version: place.version, items });
  }
}

/** What was last put in each channel (thread, namespace, channel), for the most recent channels. */
export class ByPlace<T> {
  readonly #map = new Map<string, { checkpointId: string; value: T }>();

  /** What was put in this channel by the put's parent checkpoint, if that was the last put there. */
  ofParent(place: ListPlace): T | undefined {
    const last = this.#map.get(placeKey(place));
    return last && last.checkpointId === place.parentId ? last.value : undefined;
  }

  /** Records what `place`'s checkpoint put in its channel. */
  set(place: ListPlace, value: T): void {
    const k = placeKey(place);
    // Re-inserted so that the map's order is least recently set first.
    this.#map.delete(k);
    this.#map.set(k, { checkpointId: place.checkpointId, value });
    if (this.#map.size > MAX_REMEMBERED) this.#map.delete(this.#map.keys().next().value!);
  }
}

function placeKey({ threadId, checkpointNs, channel }: ListPlace): string {
  return JSON.stringify([threadId, checkpointNs, channel]);
}

/**
 * `dumpsTyped` for an array of LangChain messages, one message at a time, byte for byte what the
 * stock `JsonPlusSerializer` writes for the whole array. LangGraph's message reducers build a new
 * list around the same message objects at every step, so keeping each message's JSON (per object)
 * makes a growing conversation cost its new messages only.
 *
 * A kept JSON is reused only while the message still holds exactly the values it was made from:
 * every key and value of the message and of every object and array inside it is recorded, and
 * compared (with `===`, no serialization) before reuse. Any change, at any depth, re-serializes it.
 */
export class MessageListEncoder {
  readonly #cache = new WeakMap<BaseMessage, EncodedMessage>();

  /** `value` encoded message by message, or `undefined` when it is not a list of messages this can encode. */
  encode(serde: SerializerProtocol, value: unknown): MessageList | Promise<MessageList | undefined> | undefined {
    if (!isStockArray(serde, value)) return undefined;
    const parts: (EncodedMessage | Promise<EncodedMessage | undefined>)[] = [];
    let pending = false;
    for (const item of value) {
      // A kept message was a message, of the class `unchanged` checks: no `instanceof` needed.
      const kept = this.#cache.get(item as BaseMessage);
      if (kept && unchanged(kept.snapshot)) {
        parts.push(kept);
      } else if (!(item instanceof BaseMessage)) {
        return undefined;
      } else {
        const encoded = this.#encodeMessage(serde, item);
        if (encoded === undefined) return undefined;
        parts.push(encoded);
        pending ||= !("json" in encoded);
      }
    }
    if (!pending) return new MessageList(parts as Encoded[]);
    return Promise.all(parts).then((items) =>
      items.every((item) => item !== undefined) ? new MessageList(items as Encoded[]) : undefined,
    );
  }

  #encodeMessage(
    serde: SerializerProtocol,
    message: BaseMessage,
  ): EncodedMessage | Promise<EncodedMessage | undefined> | undefined {
    // Recorded before serializing, so a value that changes meanwhile is never trusted.
    const snapshot = record(message);
    // Only plain data is sure to serialize alone as it does inside the list (a class instance's
    // `toJSON` sees its key; a reference back to the list is cut at a different place).
    if (!snapshot) return undefined;
    const fast = fastJson(serde, message);
    if (fast !== undefined) return this.#keep(message, fast, snapshot);
    return serde.dumpsTyped(message).then(([type, data]) => {
      const json = Buffer.from(data).toString("utf8");
      // Whole-list serialization would not fail just for this message alone: do it the stock way.
      if (type !== "json" || json === UNSERIALIZABLE) return undefined;
      return this.#keep(message, json, snapshot);
    });
  }

  #keep(message: BaseMessage, json: string, snapshot: unknown[]): EncodedMessage {
    const encoded = { json, snapshot };
    this.#cache.set(message, encoded);
    return encoded;
  }
}

/**
 * A non-empty plain `Array` (no subclass) to be written by the stock serializer: the only kind whose
 * elements can be serialized one at a time and joined into the bytes it writes for the whole.
 */
export function isStockArray(serde: SerializerProtocol, value: unknown): value is unknown[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    isStockSerializer(serde) &&
    Object.getPrototypeOf(value) === Array.prototype
  );
}

/**
 * `dumpsTyped(message)` of the stock serializer as text, without its cycle walk, its replacer and
 * its promise, for a message `record` accepted (so nothing its walk would cut is there).
 * `JSON.stringify` writes what `toJSON()` returns, and the stock replacer changes nothing when that
 * is plain data, so the bytes are the same. Only `Serializable`'s own `toJSON` qualifies (it ignores
 * the key it is called with); an `undefined` or a class instance in its result is left to the
 * stock serializer.
 */
function fastJson(serde: SerializerProtocol, message: BaseMessage): string | undefined {
  if (message.toJSON !== Serializable.prototype.toJSON) return undefined;
  return plainJsonText(serde, message.toJSON());
}

/**
 * Every object reachable from the root's own keys (a message, or a plain object or array), with
 * its keys and values; `undefined` when the root holds something other than plain objects, arrays
 * and primitives (a class instance, its own list, ...), refers back to itself, or is too large, so
 * that it is never kept.
 */
export function record(root: object): unknown[] | undefined {
  const out: unknown[] = [];
  const seen = new Set<object>();
  // The containers on the path being walked: meeting one again is a cycle.
  const open = new Set<object>();
  const visit = (container: object, root: boolean): boolean => {
    if (open.has(container)) return false;
    if (seen.has(container)) return true;
    seen.add(container);
    if (!root) {
      const proto: unknown = Object.getPrototypeOf(container);
      if (Array.isArray(container) ? proto !== Array.prototype : proto !== Object.prototype && proto !== null) {
        return false;
      }
    }
    const keys = Object.keys(container);
    out.push(container, keys);
    const children: object[] = [];
    for (const key of keys) {
      const value = (container as Record<string, unknown>)[key];
      out.push(value);
      if (typeof value === "function") return false;
      if (typeof value === "object" && value !== null) children.push(value);
    }
    // Each container's values stay together, as `unchanged` reads them.
    if (out.length > MAX_VALUES) return false;
    open.add(container);
    const ok = children.every((child) => visit(child, false));
    open.delete(container);
    return ok;
  };
  // A message's class decides what `toJSON` writes: recorded too.
  out.push(Object.getPrototypeOf(root));
  return visit(root, true) ? out : undefined;
}

/** Whether everything `record` saw holds the same keys, in the same order, with the same values. */
export function unchanged(snapshot: unknown[]): boolean {
  const root = snapshot[1] as object;
  if (Object.getPrototypeOf(root) !== snapshot[0]) return false;
  let i = 1;
  while (i < snapshot.length) {
    const container = snapshot[i];
    const keys = snapshot[i + 1] as string[];
    i += 2;
    if (Array.isArray(container)) {
      // By index: string keys on an array take V8's slow path.
      if (container.length !== keys.length) return false;
      for (let k = 0; k < keys.length; k++) {
        const value = snapshot[i++];
        if (container[k] !== value || (value === undefined && !(k in container))) return false;
      }
      continue;
    }
    // A plain object inherits no enumerable keys; a class's prototypes may, which `for...in` visits
    // after the own keys: then the own keys are compared alone.
    const record = container as Record<string, unknown>;
    if (!sameInOrder(record, keys, snapshot, i) && !(container === root && sameOwn(record, keys, snapshot, i))) {
      return false;
    }
    i += keys.length;
  }
  return true;
}

/**
 * `for...in` reads each value through V8's enumeration cache, without a lookup per key and without
 * allocating: fastest, but it also visits inherited enumerable keys.
 */
function sameInOrder(record: Record<string, unknown>, keys: string[], snapshot: unknown[], at: number): boolean {
  let k = 0;
  for (const key in record) {
    if (key !== keys[k] || record[key] !== snapshot[at + k]) return false;
    k++;
  }
  return k === keys.length;
}

function sameOwn(record: Record<string, unknown>, keys: string[], snapshot: unknown[], at: number): boolean {
  const ownKeys = Object.keys(record);
  const values = Object.values(record);
  if (ownKeys.length !== keys.length) return false;
  for (let k = 0; k < keys.length; k++) {
    if (ownKeys[k] !== keys[k] || values[k] !== snapshot[at + k]) return false;
  }
  return true;
}
