/**
 * Weight encodings of the web model: TF.js's manifest quantization (`value = q * scale + min`,
 * decoded in double precision, stored as float32), exact for kernels already on one grid.
 */
import {nudge, quantRange} from '../../quant/nudge';

export type QuantizedDType = 'uint8'|'uint16';

export interface EncodedWeight {
  bytes: Uint8Array;
  quantization?: {dtype: QuantizedDType, scale: number, min: number};
}

const LEVELS: Record<QuantizedDType, number> = {uint8: 256, uint16: 65536};

/** How a FakeQuantWeights put its kernel on a grid (the class's fields and range). */
export interface KernelGrid {
  numBits: number;
  narrowRange: boolean;
  range: {min: number[], max: number[]};
}

/** What TF.js's loader makes of `q` (double arithmetic, then float32). */
function decode(q: Uint8Array|Uint16Array, scale: number, min: number): Float32Array {
  return Float32Array.from(q, (v) => v * scale + min);
}

function quantized(dtype: QuantizedDType, values: Float32Array, scale: number, min: number): Uint8Array|Uint16Array {
  const q = dtype === 'uint8' ? new Uint8Array(values.length) : new Uint16Array(values.length);
  const top = LEVELS[dtype] - 1;
  values.forEach((v, i) => {
    q[i] = Math.max(0, Math.min(top, Math.round((v - min) / scale)));
  });
  return q;
}

function bytesOf(q: Uint8Array|Uint16Array): Uint8Array {
  if (q instanceof Uint8Array) return q;
  const bytes = new Uint8Array(q.length * 2);
  const view = new DataView(bytes.buffer);
  q.forEach((v, i) => view.setUint16(2 * i, v, true));
  return bytes;
}

export function float32Bytes(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return bytes;
}

/**
 * A per-tensor fake-quantized kernel on its own grid. FakeQuant writes level q (from the zero
 * point) as float32(q * scale); stored as u = q + zero (0 .. 2^numBits - 1 less the narrow
 * range's), `min` = -zero * scale in double precision decodes u * scale + min = q * scale exactly
 * before the same single rounding. (TF's nudged min is that product rounded to float32: not
 * exact.) Null when a value does not decode back to itself bit for bit.
 */
export function encodeGridKernel(values: Float32Array, grid: KernelGrid): EncodedWeight|null {
  const levels = quantRange(grid.numBits, grid.narrowRange);
  const n = nudge(grid.range.min[0], grid.range.max[0], levels);
  const dtype: QuantizedDType = levels.quantMax - levels.quantMin < LEVELS.uint8 ? 'uint8' : 'uint16';
  const min = -n.quantZero * n.scale;
  const q = quantized(dtype, values, n.scale, min);
  const back = decode(q, n.scale, min);
  if (!back.every((v, i) => Object.is(v, values[i]))) return null;
  return {bytes: bytesOf(q), quantization: {dtype, scale: n.scale, min}};
}

/**
 * Any float tensor on one grid over its own [min, max] (how TF.js's converter quantizes), and
 * the largest error of a decoded value.
 */
export function encodeSpan(values: Float32Array, dtype: QuantizedDType): {weight: EncodedWeight, decoded: Float32Array} {
  let lo = Infinity;
  let hi = -Infinity;
  values.forEach((v) => {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  });
  const scale = hi > lo ? (hi - lo) / (LEVELS[dtype] - 1) : 1;
  const q = quantized(dtype, values, scale, lo);
  return {weight: {bytes: bytesOf(q), quantization: {dtype, scale, min: lo}}, decoded: decode(q, scale, lo)};
}
