import { HumanMessage, AIMessage } from "@langchain/core/messages";
import { StateGraph, MessagesAnnotation, START, END } from "@langchain/langgraph";
import { RustSqliteSaver } from "@fast-langgraph/checkpoint-rust";
import graphs from "./graphs.cjs";

await graphs.checkpointGraph(
  {
    core: { HumanMessage, AIMessage },
    langgraph: { StateGraph, MessagesAnnotation, START, END },
    checkpoint: { RustSqliteSaver },
  },
  "esm",
  import.meta.resolve,
);
