import { JsonPlusSerializer, type SerializerProtocol } from "@langchain/langgraph-checkpoint";

// Fast paths around the stock JsonPlusSerializer that give byte-for-byte and value-for-value the
// same results. Only that exact class qualifies: a subclass or another serializer may do anything.

const MAX_DEPTH = 64;
const MAX_NODES = 10_000;

export function isStockSerializer(serde: SerializerProtocol): boolean {
  return serde.constructor === JsonPlusSerializer;
}

/**
 * `loadsTyped("json", …)` is `JSON.parse` followed by an async walk of the whole value that
 * revives only objects with an `lc` key. For text the addon found `plain` (see
 * `fast_langgraph_core::jsonplus::is_plain_json`), the walk returns what `JSON.parse` returned.
 */
export function parsePlainJson(
  serde: SerializerProtocol,
  type: string,
  data: Uint8Array,
  plain: boolean,
): { value: unknown } | undefined {
  if (!plain || type !== "json" || !isStockSerializer(serde)) return undefined;
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return { value: JSON.parse(buf.toString("utf8")) };
}

/**
 * `dumpsTyped(value)` runs a cycle-safe stringify with a replacer that rewrites `undefined`,
 * class instances (Set, Map, Date, messages, ...) and `Send`-shaped objects. For plain data (JSON
 * primitives, arrays and plain objects with none of those inside) the replacer changes nothing,
 * so `JSON.stringify` writes the same bytes.
 */
export function stringifyPlainJson(serde: SerializerProtocol, value: unknown): Uint8Array | undefined {
  const text = plainJsonText(serde, value);
  return text === undefined ? undefined : Buffer.from(text);
}

/** `stringifyPlainJson` as text, for a caller that keeps it in memory. */
export function plainJsonText(serde: SerializerProtocol, value: unknown): string | undefined {
  if (!isStockSerializer(serde) || !isPlain(value, 0, { nodes: 0 })) return undefined;
  return JSON.stringify(value);
}

function isPlain(value: unknown, depth: number, budget: { nodes: number }): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return true;
    case "object":
      break;
    default:
      return false;
  }
  if (depth >= MAX_DEPTH || ++budget.nodes > MAX_NODES) return false;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return false;
    for (let i = 0; i < value.length; i++) {
      if (!isPlain(value[i], depth + 1, budget)) return false;
    }
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const record = value as Record<string, unknown>;
  if ("toJSON" in record || record.lg_name === "Send") return false;
  for (const key in record) {
    if (!isPlain(record[key], depth + 1, budget)) return false;
  }
  return true;
}
