/**
 * Reader for the buffers the addon returns (`crates/node/src/wire.rs`): little-endian u32
 * lengths, `0xFFFFFFFF` for an absent string. Byte fields are views into the buffer, not copies.
 */
const ABSENT = 0xffffffff;

export type TypedBytes = [type: string, data: Uint8Array];

/** A stored value; `plain` is the addon's finding that `JSON.parse` alone revives it. */
export type StoredValue = [type: string, data: Uint8Array, plain: boolean];

export interface WireWrite {
  taskId: string;
  channel: string;
  value: StoredValue;
}

export interface WireTuple {
  threadId: string;
  checkpointNs: string;
  checkpointId: string;
  parentCheckpointId: string | undefined;
  checkpoint: StoredValue;
  metadata: StoredValue;
  channelValues: [channel: string, value: StoredValue][];
  pendingWrites: WireWrite[];
}

export interface WireCursor {
  checkpointId: string;
  threadId: string;
  checkpointNs: string;
}

export interface WireHistory {
  channel: string;
  seed: StoredValue | undefined;
  writes: WireWrite[];
}

export class WireReader {
  #buf: Buffer;
  #pos = 0;

  constructor(buf: Buffer) {
    this.#buf = buf;
  }

  #u8(): number {
    return this.#buf[this.#pos++];
  }

  #u32(): number {
    const n = this.#buf.readUInt32LE(this.#pos);
    this.#pos += 4;
    return n;
  }

  #bytes(): Uint8Array {
    const len = this.#u32();
    const view = this.#buf.subarray(this.#pos, this.#pos + len);
    this.#pos += len;
    return view;
  }

  #str(): string {
    const len = this.#u32();
    const s = this.#buf.toString("utf8", this.#pos, this.#pos + len);
    this.#pos += len;
    return s;
  }

  #optStr(): string | undefined {
    if (this.#buf.readUInt32LE(this.#pos) === ABSENT) {
      this.#pos += 4;
      return undefined;
    }
    return this.#str();
  }

  #value(): StoredValue {
    return [this.#str(), this.#bytes(), this.#u8() === 1];
  }

  #count<T>(read: () => T): T[] {
    const n = this.#u32();
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = read();
    return out;
  }

  writes(): WireWrite[] {
    return this.#count(() => ({ taskId: this.#str(), channel: this.#str(), value: this.#value() }));
  }

  #tuple(): WireTuple {
    return {
      threadId: this.#str(),
      checkpointNs: this.#str(),
      checkpointId: this.#str(),
      parentCheckpointId: this.#optStr(),
      checkpoint: this.#value(),
      metadata: this.#value(),
      channelValues: this.#count(() => [this.#str(), this.#value()] as [string, StoredValue]),
      pendingWrites: this.writes(),
    };
  }

  page(): { next: WireCursor | undefined; tuples: WireTuple[] } {
    const next = this.#u8()
      ? { checkpointId: this.#str(), threadId: this.#str(), checkpointNs: this.#str() }
      : undefined;
    return { next, tuples: this.#count(() => this.#tuple()) };
  }

  histories(): WireHistory[] {
    return this.#count(() => ({
      channel: this.#str(),
      seed: this.#u8() ? this.#value() : undefined,
      writes: this.writes(),
    }));
  }
}
