"use strict";

// The graphs each packed case runs. The .mjs entries load the packages with `import` and the .cjs
// entries with `require`, then pass them here, so both module formats run the same graph. Files are
// made in the working directory, the case's temporary project.

const assert = require("node:assert/strict");
const path = require("node:path");

const config = { configurable: { thread_id: "pack" } };

/** Asserts that `resolve` found the package's build for this module format. */
function assertFormat(resolve, name, format) {
  const file = resolve(name).replace(/^file:\/\//, "");
  assert.ok(file.endsWith(format === "esm" ? "/dist/index.js" : "/dist/index.cjs"), `${name} resolved to ${file}`);
}

/** Two nodes that add messages, on the given state and compile options. */
function chat({ langgraph, core }, state, options) {
  const { StateGraph, START, END } = langgraph;
  const reply = (name) => (s) => ({
    messages: [new core.AIMessage({ content: `${name} ${s.messages.length}`, name })],
  });
  return new StateGraph(state)
    .addNode("planner", reply("planner"))
    .addNode("writer", reply("writer"))
    .addEdge(START, "planner")
    .addEdge("planner", "writer")
    .addEdge("writer", END)
    .compile(options);
}

/** RustSqliteSaver on a file: a second saver opened on it reads the thread back. */
async function checkpointGraph(m, format, resolve) {
  assertFormat(resolve, "@fast-langgraph/checkpoint-rust", format);
  const file = path.resolve(`checkpoints-${format}.db`);
  const first = new m.checkpoint.RustSqliteSaver({ path: file });
  const out = await chat(m, m.langgraph.MessagesAnnotation, { checkpointer: first }).invoke(
    { messages: [new m.core.HumanMessage("hi")] },
    config,
  );
  assert.deepEqual(
    out.messages.map((x) => x.content),
    ["hi", "planner 1", "writer 2"],
  );
  await first.close();

  const second = new m.checkpoint.RustSqliteSaver({ path: file });
  const state = await chat(m, m.langgraph.MessagesAnnotation, { checkpointer: second }).getState(config);
  assert.equal(state.values.messages.length, 3);
  assert.ok(state.values.messages[2] instanceof m.core.AIMessage);
  await second.close();
}

/** The profiler wrapping a graph and its checkpointer: it times each node and each `put`. */
async function profilerGraph(m, format, resolve) {
  assertFormat(resolve, "@fast-langgraph/profiler", format);
  const profiler = new m.profiler.Profiler();
  const checkpointer = profiler.checkpointer(new m.langgraph.MemorySaver());
  const graph = profiler.wrap(chat(m, m.langgraph.MessagesAnnotation, { checkpointer }));
  await graph.invoke({ messages: [new m.core.HumanMessage("hi")] }, config);
  const profile = profiler.toJSON();
  assert.deepEqual(profile.nodes.map((n) => n.name).sort(), ["planner", "writer"]);
  assert.ok(profile.checkpointer.some((c) => c.name === "put" && c.count > 0));
  assert.match(profiler.report(), /planner/);
}

/** Every package at once: state-rust's messages, RustSqliteSaver and RustCache files, cached(), the profiler. */
async function allGraph(m, format, resolve) {
  for (const name of ["checkpoint-rust", "cache-rust", "state-rust", "profiler"]) {
    assertFormat(resolve, `@fast-langgraph/${name}`, format);
  }
  const profiler = new m.profiler.Profiler();
  const saver = new m.checkpoint.RustSqliteSaver({ path: path.resolve(`all-${format}.db`) });
  const cache = new m.cacheRust.RustCache({ path: path.resolve(`cache-${format}.db`) });
  const question = (s) => String(s.messages[0].content);
  let lookups = 0;
  let shouts = 0;
  const shout = m.cacheRust.cached(async (text) => (shouts++, text.toUpperCase()));
  const { StateGraph, START, END } = m.langgraph;
  const graph = profiler.wrap(
    new StateGraph(m.stateRust.MessagesAnnotation)
      .addNode("lookup", (s) => (lookups++, { messages: [new m.core.AIMessage(`found ${question(s)}`)] }), {
        // Keyed by the question: the messages' ids differ from one thread to the next.
        cachePolicy: { keyFunc: ([s]) => question(s) },
      })
      .addNode("answer", async (s) => ({ messages: [new m.core.AIMessage(await shout(question(s)))] }))
      .addEdge(START, "lookup")
      .addEdge("lookup", "answer")
      .addEdge("answer", END)
      .compile({ checkpointer: profiler.checkpointer(saver), cache: profiler.cache(cache) }),
  );
  for (const thread_id of ["a", "b"]) {
    const out = await graph.invoke({ messages: [new m.core.HumanMessage("hi")] }, { configurable: { thread_id } });
    assert.deepEqual(
      out.messages.map((x) => x.content),
      ["hi", "found hi", "HI"],
    );
  }
  // On the second thread the node cache answered "lookup" and cached() answered "answer".
  assert.deepEqual({ lookups, shouts }, { lookups: 1, shouts: 1 });
  assert.equal(cache.stats().hits, 1);
  assert.equal(profiler.toJSON().cacheHits.hits, 1);
  assert.equal(
    (await saver.getTuple({ configurable: { thread_id: "b" } })).checkpoint.channel_values.messages.length,
    3,
  );
  await saver.close();
  await cache.close();
}

module.exports = { checkpointGraph, profilerGraph, allGraph };
