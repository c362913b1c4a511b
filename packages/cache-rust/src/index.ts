export { RustCache, type RustCacheOptions, type RustCacheStats } from "./cache.js";
export { canonicalKey } from "./cache-key.js";
export { FastLangGraphError, type FastLangGraphErrorCode } from "@fast-langgraph/native/errors";
