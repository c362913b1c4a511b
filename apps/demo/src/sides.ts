/**
 * The two sets of pieces the same workload runs on: fast-langgraph's, and the official ones they
 * replace. `open` is called again after the simulated restart, on the same directory.
 */
import { join } from "node:path";

import { cached, RustCache } from "@fast-langgraph/cache-rust";
import { RustSqliteSaver } from "@fast-langgraph/checkpoint-rust";
import { appendReducer, MessagesAnnotation, setUnionReducer } from "@fast-langgraph/state-rust";
import { MessagesAnnotation as OfficialMessagesAnnotation } from "@langchain/langgraph";
import { InMemoryCache, type BaseCache, type BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

import type { Ask, Reducers } from "./graph.js";

export interface Stores {
  saver: BaseCheckpointSaver;
  /** The node cache. */
  cache: BaseCache;
  /** The model call, through the LLM cache. */
  ask: Ask;
  close(): Promise<void>;
}

export interface Side {
  name: "ours" | "official";
  pieces: string;
  reducers: Reducers;
  open(dir: string, call: Ask): Stores;
}

/** The checkpoint database's file. */
export const checkpointsFile = (dir: string) => join(dir, "checkpoints.db");

export const ours: Side = {
  name: "ours",
  pieces: "RustSqliteSaver, RustCache and cached() on files, state-rust's reducers",
  reducers: { messages: MessagesAnnotation.spec.messages, append: appendReducer, union: setUnionReducer },
  open(dir, call) {
    const saver = new RustSqliteSaver({ path: checkpointsFile(dir) });
    const cache = new RustCache({ path: join(dir, "node-cache.db") });
    const ask = cached(call, { path: join(dir, "llm-cache.db"), namespace: "llm" });
    return {
      saver,
      cache,
      ask,
      close: async () => {
        await Promise.all([saver.close(), cache.close(), ask.close()]);
      },
    };
  },
};

export const official: Side = {
  name: "official",
  pieces: "SqliteSaver, InMemoryCache, a Map memoizer, messagesStateReducer",
  reducers: {
    messages: OfficialMessagesAnnotation.spec.messages,
    append: (left, right) => left.concat(right),
    union: (left, right) => new Set([...left, ...right]),
  },
  open(dir, call) {
    const saver = SqliteSaver.fromConnString(checkpointsFile(dir));
    // Plain memoization, as an app without cached() would write it: in memory, gone on restart.
    const answers = new Map<string, Promise<string>>();
    const ask: Ask = (role, prompt) => {
      const key = JSON.stringify([role, prompt]);
      if (!answers.has(key)) answers.set(key, call(role, prompt));
      return answers.get(key)!;
    };
    return {
      saver,
      cache: new InMemoryCache(),
      ask,
      close: async () => {
        saver.db.close();
      },
    };
  },
};
