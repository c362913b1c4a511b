/**
 * A small research assistant persisted with RustSqliteSaver: it plans, looks up sources, drafts and
 * revises, with a deterministic fake model and search (no network, no API key). The conversation
 * survives a simulated restart: each turn runs on a new saver and a new node cache opened on their
 * files. Source lookups go through the RustCache node cache, so a question asked again is not searched
 * again, even after the restart; plans come from a `cached()` model call. The conversation's messages
 * are reduced by state-rust's `messagesReducer`.
 */
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { END, START, StateGraph } from "@langchain/langgraph";
import { RustCache, cached } from "@fast-langgraph/cache-rust";
import { RustSqliteSaver } from "@fast-langgraph/checkpoint-rust";
import { MessagesAnnotation } from "@fast-langgraph/state-rust";

const dataDir = join(dirname(fileURLToPath(import.meta.url)), "..", ".data");
const dbPath = join(dataDir, "demo.db");
const cachePath = join(dataDir, "cache.db");

/** A stand-in for a chat model: deterministic text after a realistic pause. */
async function fakeModel(role: string, messages: BaseMessage[]): Promise<AIMessage> {
  await sleep(20);
  const question = messages.findLast((m) => m instanceof HumanMessage)?.content ?? "";
  const drafts = messages.filter((m) => m.name === "writer").length;
  const text =
    role === "planner"
      ? `Plan for "${question}": 1) find sources 2) summarise 3) cite.`
      : `Draft ${drafts + 1} on "${question}", covering ${2 + drafts} sources.`;
  return new AIMessage({ content: text, name: role });
}

function lastQuestion(messages: BaseMessage[]): string {
  return String(messages.findLast((m) => m instanceof HumanMessage)?.content ?? "");
}

/** A stand-in for a search API: slow, and the same answer for the same question. */
let searches = 0;
async function fakeSearch(question: string): Promise<AIMessage> {
  searches++;
  await sleep(50);
  return new AIMessage({
    content: `Sources for "${question}": sqlite.org/wal.html, sqlite.org/atomiccommit.html`,
    name: "sources",
  });
}

// The planner's answer depends on the question alone: one model call per question. Its text is
// cached, not the message: LangGraph's messages reducer gives a message an id in place, so one
// message object must not enter the state twice.
const plan = cached(
  async (question: string, messages: BaseMessage[]) => String((await fakeModel("planner", messages)).content),
  { key: (question) => question, maxEntries: 100 },
);

const cacheHits = { hits: 0, misses: 0 };

function buildGraph(checkpointer: RustSqliteSaver, cache: RustCache) {
  return new StateGraph(MessagesAnnotation)
    .addNode("planner", async (s) => ({
      messages: [new AIMessage({ content: await plan(lastQuestion(s.messages), s.messages), name: "planner" })],
    }))
    .addNode("sources", async (s) => ({ messages: [await fakeSearch(lastQuestion(s.messages))] }), {
      // Keyed by the question alone: the same question finds the same sources, whatever came before.
      cachePolicy: { keyFunc: ([s]) => lastQuestion((s as typeof MessagesAnnotation.State).messages), ttl: 600 },
    })
    .addNode("writer", async (s) => ({ messages: [await fakeModel("writer", s.messages)] }))
    .addEdge(START, "planner")
    .addEdge("planner", "sources")
    .addEdge("sources", "writer")
    .addConditionalEdges("writer", (s) => (s.messages.filter((m) => m.name === "writer").length % 2 ? "writer" : END))
    .compile({ checkpointer, cache });
}

async function turn(question: string) {
  // A new saver and cache each turn: state and cached nodes come back from their files, as after a restart.
  const saver = new RustSqliteSaver({ path: dbPath });
  const cache = new RustCache({ path: cachePath, maxEntries: 1000 });
  const graph = buildGraph(saver, cache);
  const config = { configurable: { thread_id: "research-1" } };
  const out = await graph.invoke({ messages: [new HumanMessage(question)] }, config);
  const last = out.messages[out.messages.length - 1];
  console.log(`> ${question}\n  ${String(last.content)}  (${out.messages.length} messages in the thread)\n`);
  const { hits, misses } = cache.stats();
  cacheHits.hits += hits;
  cacheHits.misses += misses;
  await Promise.all([saver.close(), cache.close()]);
}

async function main() {
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  console.log(`fast-langgraph demo: a research assistant persisted in ${dbPath}\n`);

  await turn("How does SQLite's WAL mode work?");
  console.log("(process 'restarts': the saver and the cache are closed, and new ones open the same files)\n");
  await turn("And how does it recover after a crash?");
  await turn("How does SQLite's WAL mode work?");
  console.log(
    `Source lookups: ${searches} searches, ${cacheHits.hits} answered by the node cache file (${cacheHits.misses} misses)`,
  );
  const planned = plan.stats();
  console.log(`Planner: ${planned.misses} model calls, ${planned.hits} answered by cached()\n`);

  const saver = new RustSqliteSaver({ path: dbPath });
  const cache = new RustCache({ path: cachePath });
  const graph = buildGraph(saver, cache);
  console.log("State history, newest first:");
  for await (const snapshot of graph.getStateHistory({ configurable: { thread_id: "research-1" } })) {
    const step = String(snapshot.metadata?.step ?? "").padStart(2);
    const next = snapshot.next.length ? snapshot.next.join(", ") : "(done)";
    console.log(
      `  step ${step}  ${String(snapshot.metadata?.source).padEnd(6)}  messages=${snapshot.values.messages.length}  next=${next}`,
    );
  }
  await Promise.all([saver.close(), cache.close()]);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
