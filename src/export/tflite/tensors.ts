/**
 * The model's buffers and the subgraph's tensors. Buffer 0 is the empty sentinel every tensor
 * without constant data points at; each constant tensor gets a buffer of its own, aligned to
 * 16 bytes, little-endian as TFLite requires.
 */
import type * as flatbuffers from 'flatbuffers';

import type {GraphDType, GraphTensor, QuantParams} from '../graph';

import {lookup} from './lookup';
import {BUFFER_ALIGNMENT, BufferField, QuantizationField, TensorField, TensorType} from './schema';
import {alignedByteVector, float32Vector, int32Vector, int64Vector} from './vectors';

const TENSOR_TYPE: Record<GraphDType, number> = {
  float32: TensorType.FLOAT32,
  int32: TensorType.INT32,
  int8: TensorType.INT8,
};

export function tensorTypeCode(dtype: string): number|undefined {
  return lookup(TENSOR_TYPE, dtype);
}

/** The index of the empty sentinel buffer. */
export const NO_BUFFER = 0;

/** Little-endian bytes of constant data, whatever the platform's byte order. */
export function littleEndianBytes(data: Int8Array|Int32Array|Float32Array): Uint8Array {
  const bytes = new Uint8Array(data.byteLength);
  const view = new DataView(bytes.buffer);
  if (data instanceof Int8Array) {
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.length));
  } else if (data instanceof Int32Array) {
    data.forEach((v, i) => view.setInt32(4 * i, v, true));
  } else {
    data.forEach((v, i) => view.setFloat32(4 * i, v, true));
  }
  return bytes;
}

function buffer(builder: flatbuffers.Builder, bytes?: Uint8Array): flatbuffers.Offset {
  const data = bytes && alignedByteVector(builder, bytes, BUFFER_ALIGNMENT);
  builder.startObject(BufferField.COUNT);
  if (data !== undefined) builder.addFieldOffset(BufferField.DATA, data, 0);
  return builder.endObject();
}

export interface Buffers {
  offsets: flatbuffers.Offset[];
  /** Buffer index per tensor id (NO_BUFFER for tensors without data). */
  indexOf: number[];
}

export function writeBuffers(builder: flatbuffers.Builder, tensors: GraphTensor[]): Buffers {
  const offsets = [buffer(builder)];
  const indexOf = tensors.map((t) => {
    if (t.data === undefined) return NO_BUFFER;
    offsets.push(buffer(builder, littleEndianBytes(t.data)));
    return offsets.length - 1;
  });
  return {offsets, indexOf};
}

function quantization(builder: flatbuffers.Builder, quant: QuantParams): flatbuffers.Offset {
  const scale = float32Vector(builder, quant.scale);
  const zeroPoint = int64Vector(builder, quant.zeroPoint);
  const F = QuantizationField;
  builder.startObject(F.COUNT);
  builder.addFieldOffset(F.SCALE, scale, 0);
  builder.addFieldOffset(F.ZERO_POINT, zeroPoint, 0);
  // Per tensor: 0, the schema's default, which runtimes ignore for a single scale.
  builder.addFieldInt32(F.QUANTIZED_DIMENSION, quant.axis ?? 0, null);
  return builder.endObject();
}

/**
 * Shapes are static: no `shape_signature` with -1 for the batch, which LiteRT.js cannot size
 * input buffers for (and it cannot resize inputs either).
 */
export function writeTensor(
    builder: flatbuffers.Builder, t: GraphTensor, bufferIndex: number): flatbuffers.Offset {
  const name = builder.createString(t.name);
  const shape = int32Vector(builder, t.shape);
  const quant = t.quant && quantization(builder, t.quant);
  const F = TensorField;
  builder.startObject(F.COUNT);
  builder.addFieldOffset(F.SHAPE, shape, 0);
  builder.addFieldInt8(F.TYPE, TENSOR_TYPE[t.dtype], null);
  builder.addFieldInt32(F.BUFFER, bufferIndex, null);
  builder.addFieldOffset(F.NAME, name, 0);
  if (quant !== undefined) builder.addFieldOffset(F.QUANTIZATION, quant, 0);
  // Tells a scalar (shape [], rank 0) from a tensor of unknown rank.
  builder.addFieldInt8(F.HAS_RANK, 1, null);
  return builder.endObject();
}
