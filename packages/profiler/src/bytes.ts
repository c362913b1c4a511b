import type { CheckpointTuple, SerializerProtocol } from "@langchain/langgraph-checkpoint";

type Args = unknown[];

/**
 * The size of what a checkpointer call carried, serialized with the saver's own `serde`: for `put`
 * the channel values it was asked to write (those in `newVersions`) and the metadata; for
 * `putWrites` the writes; for `getTuple` and `list` the channel values, metadata and pending writes
 * returned. Undefined when the serde cannot serialize them (a saver with its own storage format).
 */
export async function checkpointBytes(
  serde: SerializerProtocol | undefined,
  op: string,
  args: Args,
  out: unknown,
): Promise<number | undefined> {
  if (!serde) return undefined;
  const size = async (value: unknown) => (await serde.dumpsTyped(value))[1].length;
  try {
    switch (op) {
      case "put": {
        const [, checkpoint, metadata, newVersions] = args as [
          unknown,
          { channel_values: Record<string, unknown> },
          unknown,
          Record<string, unknown>,
        ];
        let total = await size(metadata);
        for (const channel of Object.keys(newVersions ?? {})) {
          if (channel in checkpoint.channel_values) total += await size(checkpoint.channel_values[channel]);
        }
        return total;
      }
      case "putWrites": {
        let total = 0;
        for (const [, value] of args[1] as [string, unknown][]) total += await size(value);
        return total;
      }
      default:
        return out === undefined ? 0 : await tupleBytes(out as CheckpointTuple, size);
    }
  } catch {
    return undefined;
  }
}

async function tupleBytes(tuple: CheckpointTuple, size: (value: unknown) => Promise<number>): Promise<number> {
  let total = await size(tuple.metadata);
  for (const value of Object.values(tuple.checkpoint.channel_values)) total += await size(value);
  for (const [, , value] of tuple.pendingWrites ?? []) total += await size(value);
  return total;
}
