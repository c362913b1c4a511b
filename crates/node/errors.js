"use strict";

// The error class every fast-langgraph package throws, shared so that `instanceof` holds across them.
// The addon reports failures as "<CODE>: <message>"; `fromNativeError` turns that into `error.code`.

class FastLangGraphError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = "FastLangGraphError";
    this.code = code;
  }
}

const NATIVE_CODE = /^(FLG_[A-Z_]+): ([\s\S]*)$/;

/** Anything the addon throws without a code is an argument it could not convert. */
function fromNativeError(err) {
  if (err instanceof FastLangGraphError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const match = NATIVE_CODE.exec(message);
  if (match) return new FastLangGraphError(match[1], match[2], { cause: err });
  return new FastLangGraphError("FLG_INVALID_ARGUMENT", message, { cause: err });
}

module.exports = { FastLangGraphError, fromNativeError };
