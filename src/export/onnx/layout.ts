/**
 * Layouts of the ONNX graph's 4-D tensors. The IntGraph is NHWC (TFLite's layout, 'graph'
 * here); ONNX's Conv and pools take NCHW. Tensors of any other rank keep the graph's layout.
 */
import type {Padding} from '../graph';

/** 'graph': as in the IntGraph (NHWC for 4-D tensors); 'nchw': ONNX's image layout. */
export type Layout = 'graph'|'nchw';

/** Transpose perms: NHWC -> NCHW and back. */
export const TO_NCHW = [0, 3, 1, 2];
export const TO_NHWC = [0, 2, 3, 1];

/** The layout a tensor of rank `rank` can have: NCHW applies to 4-D tensors only. */
export function layoutFor(rank: number, wanted: Layout): Layout {
  return rank === 4 ? wanted : 'graph';
}

/** The position in `layout` of the IntGraph's axis `axis` (of a rank-`rank` tensor). */
export function axisIn(layout: Layout, rank: number, axis: number): number {
  return layoutFor(rank, layout) === 'nchw' ? TO_NCHW.indexOf(axis) : axis;
}

/** `shape` (the IntGraph's) in `layout`. */
export function shapeIn(layout: Layout, shape: number[]): number[] {
  return layoutFor(shape.length, layout) === 'nchw' ? TO_NCHW.map((a) => shape[a]) : [...shape];
}

/** Row-major `data` of `shape` with its axes permuted: output axis i is input axis perm[i]. */
export function transposeData<T extends Int8Array|Int32Array|Float32Array>(data: T, shape: number[], perm: number[]): T {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; s *= shape[i--]) strides[i] = s;
  const outShape = perm.map((a) => shape[a]);
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const index = new Array<number>(rank).fill(0);
  for (let k = 0; k < data.length; k++) {
    let from = 0;
    for (let i = 0; i < rank; i++) from += index[i] * strides[perm[i]];
    out[k] = data[from];
    // Next output index, last axis fastest.
    for (let i = rank - 1; i >= 0 && ++index[i] === outShape[i]; i--) index[i] = 0;
  }
  return out;
}

/**
 * ONNX `pads` ([top, left, bottom, right]) of a 2-D window with TF's padding: 'same' pads
 * (window extent - 1) in total less what the stride skips, the odd cell at the end.
 */
export function windowPads(
    padding: Padding, input: [number, number], filter: [number, number], strides: [number, number],
    dilations: [number, number]): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  const total = input.map((n, i) => {
    const out = Math.ceil(n / strides[i]);
    return Math.max((out - 1) * strides[i] + (filter[i] - 1) * dilations[i] + 1 - n, 0);
  });
  const begin = total.map((t) => Math.floor(t / 2));
  return [...begin, ...total.map((t, i) => t - begin[i])];
}
