import * as core from "@langchain/core/messages";
import * as langgraph from "@langchain/langgraph";
import * as checkpoint from "@fast-langgraph/checkpoint-rust";
import graphs from "./graphs.cjs";

await graphs.checkpointGraph({ core, langgraph, checkpoint }, "esm", import.meta.resolve);
