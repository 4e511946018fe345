/**
 * Flatbuffer vectors of the element types the TFLite tables use. Vectors are written back to
 * front, so elements are added in reverse.
 */
import type * as flatbuffers from 'flatbuffers';

const INT32_BYTES = 4;
const INT64_BYTES = 8;

export function int32Vector(
    builder: flatbuffers.Builder, values: ArrayLike<number>): flatbuffers.Offset {
  builder.startVector(INT32_BYTES, values.length, INT32_BYTES);
  for (let i = values.length - 1; i >= 0; i--) builder.addInt32(values[i]);
  return builder.endVector();
}

export function float32Vector(
    builder: flatbuffers.Builder, values: ArrayLike<number>): flatbuffers.Offset {
  builder.startVector(INT32_BYTES, values.length, INT32_BYTES);
  for (let i = values.length - 1; i >= 0; i--) builder.addFloat32(values[i]);
  return builder.endVector();
}

export function int64Vector(
    builder: flatbuffers.Builder, values: ArrayLike<number>): flatbuffers.Offset {
  builder.startVector(INT64_BYTES, values.length, INT64_BYTES);
  for (let i = values.length - 1; i >= 0; i--) builder.addInt64(BigInt(values[i]));
  return builder.endVector();
}

export function offsetVector(
    builder: flatbuffers.Builder, offsets: flatbuffers.Offset[]): flatbuffers.Offset {
  builder.startVector(INT32_BYTES, offsets.length, INT32_BYTES);
  for (let i = offsets.length - 1; i >= 0; i--) builder.addOffset(offsets[i]);
  return builder.endVector();
}

/**
 * A byte vector whose first byte lies on `alignment` bytes from the start of the finished file:
 * padding so that the bytes end aligned (counted from the buffer's end, as the builder does),
 * and `finish` pads the whole file to the largest alignment used.
 */
export function alignedByteVector(
    builder: flatbuffers.Builder, bytes: Uint8Array, alignment: number): flatbuffers.Offset {
  builder.prep(alignment, bytes.length);
  return builder.createByteVector(bytes);
}
