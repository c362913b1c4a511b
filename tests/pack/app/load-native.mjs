// Prints whether importing @fast-langgraph/native loaded the addon, or how it failed.
import { FastLangGraphError } from "@fast-langgraph/native/errors";

try {
  const { canonicalJsonHash } = await import("@fast-langgraph/native");
  console.log(JSON.stringify({ loaded: typeof canonicalJsonHash === "function" }));
} catch (err) {
  console.log(JSON.stringify({ code: err.code, message: err.message, ours: err instanceof FastLangGraphError }));
}
