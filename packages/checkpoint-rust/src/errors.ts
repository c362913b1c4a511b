/** Stable codes carried by every error this package throws, as `error.code`. */
export type FastLangGraphErrorCode =
  | "FLG_CLOSED"
  | "FLG_CANNOT_OPEN"
  | "FLG_NOT_A_DATABASE"
  | "FLG_BUSY"
  | "FLG_READONLY"
  | "FLG_DISK_FULL"
  | "FLG_CORRUPT"
  | "FLG_SCHEMA_VERSION"
  | "FLG_INVALID_ARGUMENT"
  | "FLG_MISSING_THREAD_ID"
  | "FLG_MISSING_CHECKPOINT_ID"
  | "FLG_SQLITE"
  | "FLG_INTERNAL";

export class FastLangGraphError extends Error {
  readonly code: FastLangGraphErrorCode;

  constructor(code: FastLangGraphErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "FastLangGraphError";
    this.code = code;
  }
}

const NATIVE_CODE = /^(FLG_[A-Z_]+): ([\s\S]*)$/;

/**
 * The addon reports failures as `"<CODE>: <message>"`; anything else it throws is an argument
 * that could not be converted.
 */
export function fromNativeError(err: unknown): FastLangGraphError {
  if (err instanceof FastLangGraphError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const match = NATIVE_CODE.exec(message);
  if (match) {
    return new FastLangGraphError(match[1] as FastLangGraphErrorCode, match[2], { cause: err });
  }
  return new FastLangGraphError("FLG_INVALID_ARGUMENT", message, { cause: err });
}
