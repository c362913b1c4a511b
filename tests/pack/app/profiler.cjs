const core = require("@langchain/core/messages");
const langgraph = require("@langchain/langgraph");
const profiler = require("@fast-langgraph/profiler");
const graphs = require("./graphs.cjs");

// An unhandled rejection exits with code 1 and the error.
graphs.profilerGraph({ core, langgraph, profiler }, "cjs", require.resolve);
