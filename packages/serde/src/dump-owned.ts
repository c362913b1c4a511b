import type { SerializerProtocol } from "@langchain/langgraph-checkpoint";

/**
 * `serde.dumpsTyped(value)` as bytes the caller owns: text becomes bytes, and a serializer that hands
 * back the caller's own array (as one may for bytes) gets it copied, so that a later change to the
 * value does not change what was stored.
 */
export async function dumpOwned(serde: SerializerProtocol, value: unknown): Promise<[type: string, data: Uint8Array]> {
  const [type, data] = await serde.dumpsTyped(value);
  if (data === value) return [type, new Uint8Array(data)];
  return [type, typeof data === "string" ? Buffer.from(data) : data];
}
