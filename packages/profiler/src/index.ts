export { Profiler, type ProfileJSON, type ProfilerOptions } from "./profiler.js";
export { ProfilerHandler } from "./handler.js";
export { summarize, supersteps, type Span, type Summary, type Superstep } from "./spans.js";
