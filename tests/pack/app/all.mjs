import { HumanMessage, AIMessage } from "@langchain/core/messages";
import { StateGraph, START, END } from "@langchain/langgraph";
import { RustSqliteSaver } from "@fast-langgraph/checkpoint-rust";
import { RustCache, cached } from "@fast-langgraph/cache-rust";
import { MessagesAnnotation } from "@fast-langgraph/state-rust";
import { Profiler } from "@fast-langgraph/profiler";
import graphs from "./graphs.cjs";

await graphs.allGraph(
  {
    core: { HumanMessage, AIMessage },
    langgraph: { StateGraph, START, END },
    checkpoint: { RustSqliteSaver },
    cacheRust: { RustCache, cached },
    stateRust: { MessagesAnnotation },
    profiler: { Profiler },
  },
  "esm",
  import.meta.resolve,
);
