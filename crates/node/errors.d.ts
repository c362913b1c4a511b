/** Stable codes carried by every error fast-langgraph throws, as `error.code`. */
export type FastLangGraphErrorCode =
  | "FLG_CLOSED"
  | "FLG_CANNOT_OPEN"
  | "FLG_NOT_A_DATABASE"
  | "FLG_BUSY"
  | "FLG_READONLY"
  | "FLG_DISK_FULL"
  | "FLG_CORRUPT"
  | "FLG_SCHEMA_VERSION"
  | "FLG_NO_SAVER_TABLES"
  | "FLG_INVALID_ARGUMENT"
  | "FLG_MISSING_THREAD_ID"
  | "FLG_MISSING_CHECKPOINT_ID"
  /** Handled inside RustSqliteSaver, which then sends the messages again whole. */
  | "FLG_CHUNK_MISSING"
  | "FLG_SQLITE"
  | "FLG_INTERNAL"
  | "FLG_NATIVE_MISSING";

export declare class FastLangGraphError extends Error {
  readonly code: FastLangGraphErrorCode;
  constructor(code: FastLangGraphErrorCode, message: string, options?: { cause?: unknown });
}

/** The addon reports failures as `"<CODE>: <message>"`; anything else is an argument it could not convert. */
export declare function fromNativeError(err: unknown): FastLangGraphError;
