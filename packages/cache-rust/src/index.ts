export { RustCache, type RustCacheOptions, type RustCacheStats } from "./cache.js";
export { FastLangGraphError, type FastLangGraphErrorCode } from "@fast-langgraph/native/errors";
