const { HumanMessage, AIMessage } = require("@langchain/core/messages");
const { StateGraph, MessagesAnnotation, MemorySaver, START, END } = require("@langchain/langgraph");
const { Profiler } = require("@fast-langgraph/profiler");
const graphs = require("./graphs.cjs");

// An unhandled rejection exits with code 1 and the error.
graphs.profilerGraph(
  {
    core: { HumanMessage, AIMessage },
    langgraph: { StateGraph, MessagesAnnotation, MemorySaver, START, END },
    profiler: { Profiler },
  },
  "cjs",
  require.resolve,
);
