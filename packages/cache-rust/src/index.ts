export { RustCache, type RustCacheOptions, type RustCacheStats } from "./cache.js";
export { canonicalKey } from "./cache-key.js";
export { argumentsKey } from "./arguments-key.js";
export { cached, type CachedFunction, type CachedOptions, type CachedStats } from "./cached.js";
export { FastLangGraphError, type FastLangGraphErrorCode } from "@fast-langgraph/native/errors";
export { RustLLMCache, type RustLLMCacheOptions } from "./llm-cache.js";
