import { type BaseMessage } from "@langchain/core/messages";
import { messagesDeltaReducer as official } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";

import { messagesDeltaReducer } from "../src/index.js";
import { build, normalize, random, randomItems } from "./random-messages.js";

describe("messagesDeltaReducer against LangGraph's", () => {
  it("gives the same lists over 2000 random sequences of batches, and is batching-invariant", () => {
    let batches = 0;
    for (let seed = 1; seed <= 2000; seed++) {
      const rng = random(seed);
      const counter = { n: 0 };
      let theirs: BaseMessage[] = [];
      let ours: BaseMessage[] = [];
      const length = 5 + rng.int(20);
      for (let i = 0; i < length; i++) {
        // A batch of one to three writes, each one message or several.
        const batch = Array.from({ length: 1 + rng.int(3) }, () => randomItems(rng, theirs.length, counter));
        const writesFor = (list: BaseMessage[]) =>
          batch.map((items) => (items.length === 1 ? build(items, list)[0] : build(items, list)));
        const snapshot = [...ours];
        const next = messagesDeltaReducer(ours, writesFor(ours));
        expect(ours, `seed ${seed}`).toEqual(snapshot);
        theirs = official(theirs, writesFor(theirs));
        expect(normalize(next), `seed ${seed} batch ${i}`).toEqual(normalize(theirs));
        // The same writes split in two batches give the same list.
        const writes = writesFor(snapshot);
        const split = messagesDeltaReducer(messagesDeltaReducer(snapshot, writes.slice(0, 1)), writes.slice(1));
        expect(normalize(split), `seed ${seed} batch ${i}, split`).toEqual(normalize(next));
        ours = next;
        batches++;
      }
    }
    expect(batches).toBeGreaterThan(20_000);
  });

  it("carries the mark LangGraph looks for to stamp ids on a DeltaChannel's writes", () => {
    expect(
      (messagesDeltaReducer as unknown as Record<symbol, unknown>)[Symbol.for("langgraph.messages_delta_reducer")],
    ).toBe(true);
  });
});
