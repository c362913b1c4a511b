import { describe, expect, it } from "vitest";

import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { JsonPlusSerializer } from "@langchain/langgraph-checkpoint";

import { parseWithMessages } from "@fast-langgraph/serde";
import { conversation } from "./fixtures/conversation.js";

// Reading messages without the stock reviver must give what the stock reviver gives: same classes,
// same fields, same undefined properties; and anything else must be left to it.
const serde = new JsonPlusSerializer();

async function bytesOf(value: unknown): Promise<Uint8Array> {
  const [type, data] = await serde.dumpsTyped(value);
  expect(type).toBe("json");
  return data;
}

const fastCases: Record<string, () => unknown> = {
  "a conversation": conversation,
  "messages inside a state object": () => ({ messages: conversation(), step: 3, notes: { zero: -0, list: [-0] } }),
  "undefined values, inside messages and out": () => ({
    messages: [
      new HumanMessage({ content: "x", name: undefined, additional_kwargs: { gone: undefined, list: [undefined, 1] } }),
    ],
    left: undefined,
    items: [undefined, 2],
  }),
  "odd field values": () => [
    new HumanMessage({
      content: "x",
      additional_kwargs: { zero: -0, "dashed-key": 1, snake_key: [{ inner_key: null }], constructor: "c" },
      response_metadata: { nested: { deeper: { deepest: [1, 2, 3] } } },
    }),
    new ToolMessage({ content: [{ type: "text", text: "🚀" }], tool_call_id: "t", status: "error" }),
    new AIMessage({ content: "no tools" }),
  ],
};

const slowCases: Record<string, () => unknown> = {
  "a message inside a message": () => [
    new HumanMessage({ content: "x", additional_kwargs: { quoted: new AIMessage("y") } }),
  ],
  "a Set beside messages": () => ({ messages: conversation(), seen: new Set([1]) }),
  "user data with an lc key": () => [new HumanMessage("x"), { lc: 1, note: "mine" }],
  "a __proto__ key": () => [new HumanMessage("x"), JSON.parse('{"__proto__": {"polluted": true}}')],
  "deep nesting": () => {
    let deep: unknown = "bottom";
    for (let i = 0; i < 60; i++) deep = { down: deep };
    return [new HumanMessage({ content: "x", additional_kwargs: { deep } })];
  },
};

describe("parseWithMessages", () => {
  for (const [what, make] of Object.entries(fastCases)) {
    it(`reads ${what} exactly as JsonPlusSerializer does`, async () => {
      const data = await bytesOf(make());
      const stock = await serde.loadsTyped("json", data);
      const fast = parseWithMessages(serde, "json", data);
      expect(fast).toBeDefined();
      expect(fast!.value).toStrictEqual(stock);
      // Same classes, and the same bytes when written again.
      const classes = (v: unknown): unknown =>
        Array.isArray(v) ? v.map(classes) : v && typeof v === "object" ? v.constructor : typeof v;
      const messagesOf = (v: unknown) => (Array.isArray(v) ? v : (v as { messages: unknown[] }).messages);
      expect(classes(messagesOf(fast!.value))).toEqual(classes(messagesOf(stock)));
      expect(Buffer.from(await bytesOf(fast!.value)).toString()).toBe(Buffer.from(await bytesOf(stock)).toString());
    });
  }

  for (const [what, make] of Object.entries(slowCases)) {
    it(`leaves ${what} to JsonPlusSerializer`, async () => {
      expect(parseWithMessages(serde, "json", await bytesOf(make()))).toBeUndefined();
    });
  }

  it("only stands in for the stock serializer", async () => {
    const data = await bytesOf(conversation());
    class Custom extends JsonPlusSerializer {}
    expect(parseWithMessages(new Custom(), "json", data)).toBeUndefined();
    expect(parseWithMessages(serde, "bytes", data)).toBeUndefined();
  });
});
