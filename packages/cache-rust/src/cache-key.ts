import { canonicalJsonHash } from "@fast-langgraph/native";

/**
 * A `cachePolicy.keyFunc` for nodes whose input is large: a 128-bit XXH3 hash, computed natively,
 * of the input's JSON with object keys sorted, so key order does not change the key. LangGraph's
 * default key is the whole JSON text, which it then hashes in JavaScript.
 *
 * ```ts
 * builder.addNode("summarize", summarize, { cachePolicy: { keyFunc: canonicalKey } });
 * ```
 */
export function canonicalKey(args: unknown[]): string {
  const json = JSON.stringify(args);
  try {
    return canonicalJsonHash(json);
  } catch {
    // Nesting deeper than the native parser takes: the text itself, which LangGraph hashes.
    return json;
  }
}
