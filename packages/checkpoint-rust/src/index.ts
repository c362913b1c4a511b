export { RustSqliteSaver, type RustSqliteSaverOptions } from "./saver.js";
export { FastLangGraphError, type FastLangGraphErrorCode } from "./errors.js";
