const core = require("@langchain/core/messages");
const langgraph = require("@langchain/langgraph");
const checkpoint = require("@fast-langgraph/checkpoint-rust");
const graphs = require("./graphs.cjs");

// An unhandled rejection exits with code 1 and the error.
graphs.checkpointGraph({ core, langgraph, checkpoint }, "cjs", require.resolve);
