const { HumanMessage, AIMessage } = require("@langchain/core/messages");
const { StateGraph, START, END } = require("@langchain/langgraph");
const { RustSqliteSaver } = require("@fast-langgraph/checkpoint-rust");
const { RustCache, cached } = require("@fast-langgraph/cache-rust");
const { MessagesAnnotation } = require("@fast-langgraph/state-rust");
const { Profiler } = require("@fast-langgraph/profiler");
const graphs = require("./graphs.cjs");

// An unhandled rejection exits with code 1 and the error.
graphs.allGraph(
  {
    core: { HumanMessage, AIMessage },
    langgraph: { StateGraph, START, END },
    checkpoint: { RustSqliteSaver },
    cacheRust: { RustCache, cached },
    stateRust: { MessagesAnnotation },
    profiler: { Profiler },
  },
  "cjs",
  require.resolve,
);
