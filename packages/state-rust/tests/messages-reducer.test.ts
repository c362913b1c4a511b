import { AIMessage, AIMessageChunk, HumanMessage, RemoveMessage, type BaseMessage } from "@langchain/core/messages";
import { REMOVE_ALL_MESSAGES, messagesStateReducer } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";

import { messagesReducer } from "../src/index.js";
import { build, normalize, random, randomItems } from "./random-messages.js";

type Reducer = typeof messagesStateReducer;

/** Applies a write through `reducer`, as a graph would: the error, or the new list. */
function step(reducer: Reducer, list: BaseMessage[], write: ReturnType<typeof build>) {
  try {
    return { list: reducer(list, write) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

describe("messagesReducer against messagesStateReducer", () => {
  it("gives the same lists and errors over 2000 random sequences of writes", () => {
    let steps = 0;
    let errors = 0;
    for (let seed = 1; seed <= 2000; seed++) {
      const rng = random(seed);
      const counter = { n: 0 };
      // Both histories, so that a write may go to an older list (a fork, as time travel makes).
      const theirs: BaseMessage[][] = [[]];
      const ours: BaseMessage[][] = [[]];
      const length = 5 + rng.int(30);
      for (let i = 0; i < length; i++) {
        let from = theirs.length - 1;
        if (rng.next() < 0.1) from = rng.int(theirs.length);
        // Now and then a list the reducer did not make, as one restored from a checkpoint is.
        const ourLeft = rng.next() < 0.05 ? [...ours[from]] : ours[from];
        const items = randomItems(rng, theirs[from].length, counter);
        const official = step(messagesStateReducer, theirs[from], build(items, theirs[from]));
        const snapshot = [...ourLeft];
        const mine = step(messagesReducer, ourLeft, build(items, ourLeft));
        expect(ourLeft, `seed ${seed}: the list passed in is unchanged`).toEqual(snapshot);
        expect("error" in mine ? mine.error : normalize(mine.list!), `seed ${seed} step ${i}`).toEqual(
          "error" in official ? official.error : normalize(official.list!),
        );
        steps++;
        if (official.error !== undefined) {
          errors++;
          continue;
        }
        theirs.push(official.list!);
        ours.push(mine.list!);
      }
    }
    // The sequences did exercise the paths that matter.
    expect(steps).toBeGreaterThan(30_000);
    expect(errors).toBeGreaterThan(300);
  });

  it("returns a new list every time and never changes the one passed in", () => {
    const start = messagesReducer([], [new HumanMessage({ content: "a", id: "a" })]);
    const frozen = Object.freeze([...start]);
    const next = messagesReducer(frozen as BaseMessage[], [new AIMessage({ content: "b", id: "b" })]);
    const again = messagesReducer(next, [new AIMessage({ content: "b2", id: "b" })]);
    expect(next).not.toBe(again);
    expect(next.map((m) => m.content)).toEqual(["a", "b"]);
    expect(again.map((m) => m.content)).toEqual(["a", "b2"]);
  });

  it("coerces message-like values and chunks, assigns ids, and throws LangGraph's error for an unknown id", () => {
    const list = messagesReducer(
      [],
      ["hi", { role: "assistant", content: "hello" }, new AIMessageChunk({ content: "chunk", id: "c" })],
    );
    expect(list.map((m) => m.constructor.name)).toEqual(["HumanMessage", "AIMessage", "AIMessage"]);
    expect(list.every((m) => typeof m.id === "string")).toBe(true);
    expect(() => messagesReducer(list, [new RemoveMessage({ id: "nope" })])).toThrow(
      "Attempting to delete a message with an ID that doesn't exist ('nope')",
    );
    expect(
      messagesReducer(list, [new RemoveMessage({ id: REMOVE_ALL_MESSAGES }), "fresh"]).map((m) => m.content),
    ).toEqual(["fresh"]);
  });

  it("stays right when a list is reduced twice and either result is built on, as LangGraph does in a step", () => {
    const base = messagesReducer([], [new HumanMessage({ content: "q", id: "q" })]);
    const write = () => [new AIMessage({ content: "a", id: "a" })];
    // A conditional edge reads the state with the step's writes applied; then the step applies them.
    const read = messagesReducer(base, write());
    const real = messagesReducer(base, write());
    const next = messagesReducer(real, [
      new AIMessage({ content: "a2", id: "a" }),
      new HumanMessage({ content: "b", id: "b" }),
    ]);
    expect(next.map((m) => m.content)).toEqual(["q", "a2", "b"]);
    // The dropped result still reduces correctly, on a line of its own.
    const other = messagesReducer(read, [new RemoveMessage({ id: "a" }), new HumanMessage({ content: "c", id: "c" })]);
    expect(other.map((m) => m.content)).toEqual(["q", "c"]);
    expect(messagesReducer(base, [new HumanMessage({ content: "d", id: "b" })]).map((m) => m.content)).toEqual([
      "q",
      "d",
    ]);
  });

  it("finds, after 10 000 appends, the ids the first appends placed", () => {
    let list: BaseMessage[] = [];
    for (let i = 0; i < 10_000; i++) list = messagesReducer(list, new HumanMessage({ content: `m${i}`, id: `m${i}` }));
    const replaced = messagesReducer(list, [new AIMessage({ content: "first, replaced", id: "m0" })]);
    expect(replaced).toHaveLength(10_000);
    expect(replaced[0].content).toBe("first, replaced");
    expect(messagesReducer(replaced, [new RemoveMessage({ id: "m9999" })])).toHaveLength(9_999);
  });
});
