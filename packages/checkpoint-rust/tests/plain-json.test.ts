import { afterAll, describe, expect, it } from "vitest";

import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { JsonPlusSerializer, emptyCheckpoint } from "@langchain/langgraph-checkpoint";

import { RustSqliteSaver } from "../src/index.js";
import { parsePlainJson, stringifyPlainJson } from "@fast-langgraph/serde";

// The fast paths must be indistinguishable from the stock serializer: same bytes out, same values in.
const serde = new JsonPlusSerializer();
const saver = new RustSqliteSaver();
afterAll(() => saver.close());

/** Stores `value` as a channel and reads it back through the addon's plain-JSON finding. */
let threads = 0;
async function roundTrip(value: unknown): Promise<unknown> {
  const checkpoint = { ...emptyCheckpoint(), channel_values: { value }, channel_versions: { value: 1 } };
  const config = await saver.put(
    { configurable: { thread_id: `t${threads++}` } },
    checkpoint,
    { source: "input", step: -1, parents: {} },
    { value: 1 },
  );
  return (await saver.getTuple(config))?.checkpoint.channel_values.value;
}

const samples: Record<string, unknown> = {
  number: 42,
  float: -1.5e-7,
  string: 'quotes " and \\ and unicode ✓ \u2028',
  nested: { a: [1, { b: null, c: [true, false] }], d: { e: {} } },
  notFinite: [Number.NaN, Number.POSITIVE_INFINITY],
  protoKey: JSON.parse('{"__proto__": {"polluted": true}, "x": 1}'),
  nullProto: Object.assign(Object.create(null), { k: "v" }),
  undefinedValue: { a: undefined, b: 1 },
  undefinedInArray: [1, undefined],
  date: { when: new Date(0) },
  set: new Set([1, 2]),
  map: { m: new Map([["k", 1]]) },
  bytes: { raw: new Uint8Array([1, 2, 3]) },
  send: { lg_name: "Send", node: "n", args: { x: 1 } },
  message: [new HumanMessage("hi"), new AIMessage({ content: "there", id: "m1" })],
  lcLookalike: { lc: 1, type: "constructor", id: ["x"] },
  escapedText: "tab\t newline\n and a \\u0041 literal",
  deep: JSON.parse("[".repeat(100) + "]".repeat(100)),
};

describe("plain JSON fast paths", () => {
  for (const [name, value] of Object.entries(samples)) {
    it(`writes ${name} exactly as JsonPlusSerializer does, and reads it back through the saver`, async () => {
      const [type, official] = await serde.dumpsTyped(value);
      const fast = stringifyPlainJson(serde, value);
      if (fast) expect(Buffer.from(fast).toString()).toBe(Buffer.from(official).toString());

      const revived = await serde.loadsTyped(type, official);
      expect(await roundTrip(value)).toStrictEqual(revived);
    });
  }

  it("takes the fast path for plain data and steps aside for everything else", () => {
    expect(stringifyPlainJson(serde, samples.nested)).toBeDefined();
    expect(stringifyPlainJson(serde, samples.message)).toBeUndefined();
    expect(stringifyPlainJson(serde, samples.undefinedValue)).toBeUndefined();
    expect(stringifyPlainJson(serde, samples.send)).toBeUndefined();
    expect(parsePlainJson(serde, "json", Buffer.from('{"a":[1,2]}'), true)).toEqual({ value: { a: [1, 2] } });
    expect(parsePlainJson(serde, "json", Buffer.from('{"a":[1,2]}'), false)).toBeUndefined();
    expect(parsePlainJson(serde, "bytes", Buffer.from("{}"), true)).toBeUndefined();
    class Custom extends JsonPlusSerializer {}
    expect(stringifyPlainJson(new Custom(), { a: 1 })).toBeUndefined();
    expect(parsePlainJson(new Custom(), "json", Buffer.from("{}"), true)).toBeUndefined();
  });
});
