/**
 * The part of the protobuf wire format an ONNX file needs: varints (wire type 0), 32-bit floats
 * (wire type 5) and length-delimited fields (wire type 2: strings, bytes, nested messages).
 * Repeated scalar fields are written unpacked (one key per element), which every proto2 and
 * proto3 parser reads.
 */

const enum WireType {
  VARINT = 0,
  LENGTH_DELIMITED = 2,
  FIXED32 = 5,
}

const utf8 = new TextEncoder();
const TWO_64 = BigInt(2) ** BigInt(64);

/** The bytes of one message, appended field by field. */
export class ProtoMessage {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  /** An int32/int64/enum/bool field; negative values as 64-bit two's complement (10 bytes). */
  varint(field: number, value: number): this {
    this.key(field, WireType.VARINT);
    this.rawVarint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, WireType.FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    return this.push(bytes);
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, WireType.LENGTH_DELIMITED);
    this.rawVarint(value.length);
    return this.push(value);
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  message(field: number, value: ProtoMessage): this {
    return this.bytes(field, value.finish());
  }

  /** The message's bytes (in one new array). */
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }

  private key(field: number, wireType: WireType): void {
    this.rawVarint(field * 8 + wireType);
  }

  private rawVarint(value: number): void {
    if (!Number.isSafeInteger(value)) throw new Error(`protobuf: ${value} is not a safe integer.`);
    let v = value >= 0 ? BigInt(value) : TWO_64 + BigInt(value);
    const bytes: number[] = [];
    do {
      const low = Number(v & BigInt(0x7f));
      v >>= BigInt(7);
      bytes.push(v > 0 ? low | 0x80 : low);
    } while (v > 0);
    this.push(Uint8Array.from(bytes));
  }

  private push(bytes: Uint8Array): this {
    this.chunks.push(bytes);
    this.length += bytes.length;
    return this;
  }
}
