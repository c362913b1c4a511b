import * as core from "@langchain/core/messages";
import * as langgraph from "@langchain/langgraph";
import * as checkpoint from "@fast-langgraph/checkpoint-rust";
import * as cacheRust from "@fast-langgraph/cache-rust";
import * as stateRust from "@fast-langgraph/state-rust";
import * as profiler from "@fast-langgraph/profiler";
import graphs from "./graphs.cjs";

await graphs.allGraph({ core, langgraph, checkpoint, cacheRust, stateRust, profiler }, "esm", import.meta.resolve);
