import * as core from "@langchain/core/messages";
import * as langgraph from "@langchain/langgraph";
import * as profiler from "@fast-langgraph/profiler";
import graphs from "./graphs.cjs";

await graphs.profilerGraph({ core, langgraph, profiler }, "esm", import.meta.resolve);
