const { HumanMessage, AIMessage } = require("@langchain/core/messages");
const { StateGraph, MessagesAnnotation, START, END } = require("@langchain/langgraph");
const { RustSqliteSaver } = require("@fast-langgraph/checkpoint-rust");
const graphs = require("./graphs.cjs");

// An unhandled rejection exits with code 1 and the error.
graphs.checkpointGraph(
  {
    core: { HumanMessage, AIMessage },
    langgraph: { StateGraph, MessagesAnnotation, START, END },
    checkpoint: { RustSqliteSaver },
  },
  "cjs",
  require.resolve,
);
