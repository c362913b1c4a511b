// Prints whether requiring @fast-langgraph/native loaded the addon, or how it failed.
const { FastLangGraphError } = require("@fast-langgraph/native/errors");

try {
  console.log(JSON.stringify({ loaded: typeof require("@fast-langgraph/native").canonicalJsonHash === "function" }));
} catch (err) {
  console.log(JSON.stringify({ code: err.code, message: err.message, ours: err instanceof FastLangGraphError }));
}
