import { describe, expect, it } from "vitest";

import { AIMessage, AIMessageChunk, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { JsonPlusSerializer, type SerializerProtocol } from "@langchain/langgraph-checkpoint";

import { MessageList, MessageListEncoder } from "../src/message-list.js";
import { conversation } from "./fixtures/conversation.js";

// A message list is encoded one kept message at a time: the bytes must be exactly what the stock
// serializer writes for the whole list, before and after any change to any message.
const serde = new JsonPlusSerializer();

async function stock(value: unknown): Promise<string> {
  const [type, data] = await serde.dumpsTyped(value);
  expect(type).toBe("json");
  return Buffer.from(data).toString("utf8");
}

async function ours(encoder: MessageListEncoder, value: unknown): Promise<string | undefined> {
  const list = await encoder.encode(serde, value);
  return list && Buffer.from(list.json()).toString("utf8");
}

describe("MessageListEncoder", () => {
  it("writes what JsonPlusSerializer writes, the first time and when it reuses kept messages", async () => {
    const encoder = new MessageListEncoder();
    const list = conversation();
    expect(await ours(encoder, list)).toBe(await stock(list));
    // The second call reuses every message without a promise.
    const again = encoder.encode(serde, list);
    expect(again).toBeInstanceOf(MessageList);
    expect(Buffer.from((again as MessageList).json()).toString("utf8")).toBe(await stock(list));
    // A longer list around the same objects, in another order, with one message twice.
    const grown = [...list, new HumanMessage("next"), list[0], ...list.slice(1, 3).reverse()];
    expect(await ours(encoder, grown)).toBe(await stock(grown));
  });

  const mutations: Record<string, (m: AIMessage) => void> = {
    "a top-level field": (m) => (m.content = "changed"),
    "a key added to a nested object": (m) => (m.response_metadata.added = true),
    "a key removed from a nested object": (m) => delete m.response_metadata.model,
    "a value set to undefined": (m) => (m.response_metadata.model = undefined),
    "a value deep in tool call args": (m) => ((m.tool_calls![0].args.nested as { deep: unknown[] }).deep[1] = 2),
    "an element pushed onto an array": (m) => m.tool_calls!.push({ id: "call-2", name: "x", args: {} }),
    "an undefined value deleted": (m) => delete (m.additional_kwargs.extra as Record<string, unknown>).unset,
    "the constructor kwargs": (m) => (m.lc_kwargs.name = "bot"),
    "the prototype": (m) => Object.setPrototypeOf(m, AIMessageChunk.prototype),
    // Same keys and values, another order: the JSON's order changes with it.
    "a key moved to the end of a nested object": (m) => {
      const { model } = m.response_metadata;
      delete m.response_metadata.model;
      m.response_metadata.model = model;
    },
  };
  for (const [what, mutate] of Object.entries(mutations)) {
    it(`notices ${what} changed in place, and writes the new value`, async () => {
      const encoder = new MessageListEncoder();
      const list = conversation();
      const before = await stock(list);
      expect(await ours(encoder, list)).toBe(before);
      mutate(list[2] as AIMessage);
      const after = await stock(list);
      expect(after).not.toBe(before);
      expect(await ours(encoder, list)).toBe(after);
    });
  }

  it("leaves other values to the whole-value path", async () => {
    const encoder = new MessageListEncoder();
    const custom = { dumpsTyped: serde.dumpsTyped.bind(serde), loadsTyped: serde.loadsTyped.bind(serde) };
    const notLists: unknown[] = [
      [],
      "text",
      { messages: conversation() },
      [new HumanMessage("hi"), { role: "user", content: "plain" }],
      Object.assign(Object.create(Array.prototype), { 0: new HumanMessage("hi"), length: 1 }),
    ];
    for (const value of notLists) expect(encoder.encode(serde, value)).toBeUndefined();
    expect(encoder.encode(custom as SerializerProtocol, conversation())).toBeUndefined();
  });

  // Messages the stock serializer writes in its own way: a new one is serialized on the spot (no
  // promise) only when `toJSON()` alone gives the same bytes.
  class Custom extends HumanMessage {
    toJSON() {
      return { ...super.toJSON(), custom: true };
    }
  }
  const cyclic = new HumanMessage({ content: "loop", additional_kwargs: {} });
  cyclic.additional_kwargs.self = cyclic.additional_kwargs;
  const fresh: Record<string, [() => BaseMessage, boolean]> = {
    "a plain message": [() => new HumanMessage({ content: "x", id: "p1" }), true],
    "an lc key inside, which toJSON escapes": [
      () => new HumanMessage({ content: "x", additional_kwargs: { lc: 1, type: "constructor", id: ["y"] } }),
      true,
    ],
    "an undefined kwarg": [() => new HumanMessage({ content: "x", name: undefined }), false],
    "its own toJSON": [() => new Custom("custom"), false],
  };
  for (const [what, [make, sync]] of Object.entries(fresh)) {
    it(`writes ${what} as JsonPlusSerializer does, ${sync ? "at once" : "through it"}`, async () => {
      const encoder = new MessageListEncoder();
      const list = [make()];
      const encoded = encoder.encode(serde, list);
      expect(encoded instanceof MessageList).toBe(sync);
      const json = Buffer.from((await encoded)!.json()).toString("utf8");
      expect(json).toBe(await stock(list));
    });
  }

  it("reuses and checks a message whose class has an enumerable key on its prototype", async () => {
    class Tagged extends HumanMessage {}
    (Tagged.prototype as unknown as Record<string, unknown>).tag = "inherited";
    const encoder = new MessageListEncoder();
    const list = [new Tagged({ content: "tagged", id: "t1" })];
    expect(await ours(encoder, list)).toBe(await stock(list));
    const again = encoder.encode(serde, list);
    expect(again).toBeInstanceOf(MessageList);
    expect((again as MessageList).items[0]).toBe((encoder.encode(serde, list) as MessageList).items[0]);
    list[0].content = "changed";
    expect(await ours(encoder, list)).toBe(await stock(list));
  });

  it("leaves a message with a cycle inside to the whole-value path, which cuts it where the stock walk does", async () => {
    const encoder = new MessageListEncoder();
    expect(await encoder.encode(serde, [cyclic])).toBeUndefined();
    // What toJSON alone would write differs: it cuts the cycle in its own way.
    expect(await stock([cyclic])).toContain('"self":"[Circular]"');
  });

  it("leaves a list with a message that holds a class instance, or refers back to the list, to the whole-value path", async () => {
    const encoder = new MessageListEncoder();
    const dated = [new HumanMessage({ content: "dated", additional_kwargs: { when: new Date(0) } })];
    expect(await encoder.encode(serde, dated)).toBeUndefined();
    const looped: BaseMessage[] = [new HumanMessage("first")];
    looped.push(new HumanMessage({ content: "second", additional_kwargs: { thread: looped } }));
    expect(await encoder.encode(serde, looped)).toBeUndefined();
  });
});
