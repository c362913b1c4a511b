import { FastLangGraphError } from "@fast-langgraph/native/errors";

/**
 * The key `cached()` gives a call: a text that is equal for two argument lists exactly when they
 * hold the same values, with object keys in any order. Unlike JSON, it tells `undefined` from
 * `null`, a `Date` from its ISO string, and keeps the contents of `Map`s and `Set`s. Objects with a
 * `toJSON` method (LangChain messages, for one) are keyed by what it returns. Functions, symbols and
 * cycles cannot be keyed: pass `cached(fn, { key })` for those.
 */
export function argumentsKey(args: unknown[]): string {
  return encode(args, new Set());
}

function encode(value: unknown, path: Set<object>): string {
  switch (typeof value) {
    case "undefined":
      return "u";
    case "boolean":
      return value ? "t" : "f";
    case "number":
      return `d${value}`;
    case "bigint":
      return `i${value}`;
    case "string":
      return JSON.stringify(value);
    case "object":
      break;
    default:
      throw unkeyable(typeof value);
  }
  if (value === null) return "n";
  if (path.has(value)) throw unkeyable("a cycle");
  path.add(value);
  try {
    if (Array.isArray(value)) return `[${value.map((item) => encode(item, path)).join(",")}]`;
    if (value instanceof Date) return `D${value.getTime()}`;
    if (value instanceof Map) {
      const entries = [...value].map(([k, v]) => `${encode(k, path)}:${encode(v, path)}`);
      return `M{${entries.sort().join(",")}}`;
    }
    if (value instanceof Set)
      return `S{${[...value]
        .map((item) => encode(item, path))
        .sort()
        .join(",")}}`;
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") return `J${encode(toJSON.call(value), path)}`;
    const record = value as Record<string, unknown>;
    const fields = Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${encode(record[key], path)}`);
    return `{${fields.join(",")}}`;
  } finally {
    path.delete(value);
  }
}

function unkeyable(what: string): FastLangGraphError {
  return new FastLangGraphError(
    "FLG_INVALID_ARGUMENT",
    `cached() cannot make a key from ${what}; pass cached(fn, { key }) to key these calls yourself`,
  );
}
