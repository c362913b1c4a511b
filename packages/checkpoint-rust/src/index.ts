export {
  RustSqliteSaver,
  type RustSqliteSaverOptions,
  type RustSqliteSaverPruneOptions,
  type RustSqliteSaverPruned,
  type RustSqliteSaverStats,
} from "./saver.js";
export { importSqliteSaver, type ImportSummary } from "./import-sqlite-saver.js";
export { FastLangGraphError, type FastLangGraphErrorCode } from "@fast-langgraph/native/errors";
