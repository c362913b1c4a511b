export { Profiler, type ProfileJSON } from "./profiler.js";
export { ProfilerHandler } from "./handler.js";
export { summarize, type Span, type Summary } from "./spans.js";
