const core = require("@langchain/core/messages");
const langgraph = require("@langchain/langgraph");
const checkpoint = require("@fast-langgraph/checkpoint-rust");
const cacheRust = require("@fast-langgraph/cache-rust");
const stateRust = require("@fast-langgraph/state-rust");
const profiler = require("@fast-langgraph/profiler");
const graphs = require("./graphs.cjs");

// An unhandled rejection exits with code 1 and the error.
graphs.allGraph({ core, langgraph, checkpoint, cacheRust, stateRust, profiler }, "cjs", require.resolve);
