export { RustSqliteSaver, type RustSqliteSaverOptions } from "./saver.js";
export { FastLangGraphError, type FastLangGraphErrorCode } from "@fast-langgraph/native/errors";
