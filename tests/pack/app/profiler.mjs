import { HumanMessage, AIMessage } from "@langchain/core/messages";
import { StateGraph, MessagesAnnotation, MemorySaver, START, END } from "@langchain/langgraph";
import { Profiler } from "@fast-langgraph/profiler";
import graphs from "./graphs.cjs";

await graphs.profilerGraph(
  {
    core: { HumanMessage, AIMessage },
    langgraph: { StateGraph, MessagesAnnotation, MemorySaver, START, END },
    profiler: { Profiler },
  },
  "esm",
  import.meta.resolve,
);
