import {
  AIMessage,
  AIMessageChunk,
  HumanMessage,
  RemoveMessage,
  ToolMessage,
  type BaseMessage,
  type BaseMessageLike,
} from "@langchain/core/messages";
import { REMOVE_ALL_MESSAGES } from "@langchain/langgraph";

/** A seeded generator (mulberry32), so that a failing sequence can be replayed from its seed. */
export function random(seed: number) {
  let t = seed >>> 0;
  const next = () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: T[]) => xs[Math.floor(next() * xs.length)] };
}

/**
 * One item of a write, described without objects so that each reducer gets fresh ones (reducers give
 * messages ids in place). `at` names a message of the current list by position, so that ids generated
 * differently in two runs still name the same message.
 */
export type Item =
  | { kind: "new"; shape: "instance" | "no-id" | "role" | "type" | "string" | "chunk" | "tool"; n: number }
  | { kind: "replace"; at: number; n: number }
  | { kind: "remove"; at: number }
  | { kind: "remove-unknown"; n: number }
  | { kind: "remove-all" };

export function randomItems(rng: ReturnType<typeof random>, listLength: number, counter: { n: number }): Item[] {
  const items: Item[] = [];
  const count = 1 + rng.int(4);
  for (let i = 0; i < count; i++) {
    const roll = rng.next();
    const n = counter.n++;
    if (listLength > 0 && roll < 0.2) items.push({ kind: "replace", at: rng.int(listLength), n });
    else if (listLength > 0 && roll < 0.32) items.push({ kind: "remove", at: rng.int(listLength) });
    else if (roll < 0.34) items.push({ kind: "remove-unknown", n });
    else if (roll < 0.36) items.push({ kind: "remove-all" });
    else {
      const shape = rng.pick(["instance", "instance", "no-id", "role", "type", "string", "chunk", "tool"] as const);
      items.push({ kind: "new", shape, n });
    }
  }
  return items;
}

/** The write `items` describe, made fresh against `list`. */
export function build(items: Item[], list: BaseMessage[]): BaseMessageLike[] {
  return items.map((item): BaseMessageLike => {
    switch (item.kind) {
      case "replace":
        return new AIMessage({ content: `replaced ${item.n}`, id: list[item.at].id });
      case "remove":
        return new RemoveMessage({ id: list[item.at].id as string });
      case "remove-unknown":
        return new RemoveMessage({ id: `missing-${item.n}` });
      case "remove-all":
        return new RemoveMessage({ id: REMOVE_ALL_MESSAGES });
      case "new":
        switch (item.shape) {
          case "instance":
            return new HumanMessage({ content: `human ${item.n}`, id: `id-${item.n}` });
          case "no-id":
            return new AIMessage({ content: `ai ${item.n}` });
          case "role":
            return { role: "assistant", content: `role ${item.n}`, id: `id-${item.n}` };
          case "type":
            return { type: "system", content: `type ${item.n}` };
          case "string":
            return `string ${item.n}`;
          case "chunk":
            return new AIMessageChunk({ content: `chunk ${item.n}`, id: `id-${item.n}` });
          case "tool":
            return new ToolMessage({ content: `tool ${item.n}`, tool_call_id: `call-${item.n}`, id: `id-${item.n}` });
        }
    }
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A list as comparable data: class, fields, and ids, with generated ids (uuids) made equal. */
export function normalize(list: BaseMessage[]) {
  return list.map((m) => ({
    class: m.constructor.name,
    content: m.content,
    name: m.name,
    id: typeof m.id === "string" && UUID.test(m.id) ? "<generated>" : m.id,
    toolCallId: (m as ToolMessage).tool_call_id,
  }));
}
