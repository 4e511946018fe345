/**
 * Integer weights of the kernel layers: the int8 kernel on the grid the QAT model used, a
 * BatchNormalization folded into it, and the int32 bias.
 *
 * The QAT model computes with `fakeQuantKernel(kernel)`, whose values are exactly (integer) *
 * scale: the int8 kernel is those integers, read back and checked, never rounded again. A
 * BatchNormalization after the layer multiplies output channel c by g = gamma / sqrt(variance +
 * epsilon); with per-channel scales that factor moves into the channel's scale (the integers stay,
 * their sign flips where g < 0), so the folded kernel is exactly the QAT model's. A per-tensor
 * scale cannot hold a factor per channel: a per-tensor Conv2D / DepthwiseConv2D kernel becomes
 * per channel (scale * |g_c|, exact; TFLite's converter writes conv kernels per channel anyway),
 * while a per-tensor Dense kernel, kept per tensor for the runtimes that reject per-channel fully
 * connected layers, is quantized again: the folded kernel (fake-quantized kernel times g) on a
 * per-tensor grid of its own, which moves the outputs a little.
 */
import {dispose, reshape, type Tensor, tensor2d, tidy} from '@tensorflow/tfjs-core';

import {fakeQuantKernel, kernelChannelsLast, symmetricKernelRange} from '../layers';
import {isZeroRange, nudge, quantRange, roundHalfAwayFromZero} from '../quant/nudge';

import type {QuantParams} from './graph';
import type {Layer} from './model_graph';

const f32 = Math.fround;

/** TFLite's int8 weight range (symmetric: -128 is not used). */
export const WEIGHT_MAX = 127;
/** The kernel bit widths int8 weights hold. */
const MAX_WEIGHT_BITS = 8;
const INT32_MAX = 2 ** 31 - 1;

/** How a FakeQuantWeights quantizes its kernel (the class's fields). */
export interface KernelQuantizer {
  numBits: number;
  perChannel: boolean;
  narrowRange: boolean;
}

/** A kernel as [rows, channels] integers (row-major) and a scale per channel (or one). */
interface KernelGrid {
  q: Int32Array;
  scales: number[];
  rows: number;
  channels: number;
}

/** The BatchNormalization folded into a kernel layer: per output channel. */
export interface BatchNormFold {
  /** gamma / sqrt(variance + epsilon). */
  factor: Float64Array;
  /** beta - mean * factor: added after the bias times factor. */
  shift: Float64Array;
}

export interface IntWeights {
  kernel: {data: Int8Array, quant: QuantParams};
  bias: {data: Int32Array, quant: QuantParams};
}

/**
 * How a kernel layer's weights are exported: where the output channel sits (first: FC, CONV_2D;
 * last: DEPTHWISE_CONV_2D), and whether a per-tensor kernel may become per channel to hold a
 * folded BatchNormalization exactly (not for FC).
 */
export interface KernelLayout {
  channelAxis: 'first'|'last';
  perChannelFold: boolean;
}

/** A layer variable by its name's last part (`kernel`, `bias`, `gamma`, ...), or null. */
export function layerWeight(layer: Layer, name: string): Tensor|null {
  const w = layer.weights.find((v) => v.originalName === name || v.originalName.endsWith(`/${name}`));
  return w != null ? w.read() : null;
}

/**
 * The BatchNormalization `bn` as a per-channel factor and shift (float64: the int32 bias is
 * rounded from it once).
 */
export function batchNormFold(bn: Layer, path: string, channels: number, rank: number): BatchNormFold {
  const config = bn.getConfig() as {axis?: number|number[], epsilon?: number};
  const axis = Array.isArray(config.axis) ? config.axis : [config.axis ?? -1];
  if (axis.length !== 1 || (axis[0] !== -1 && axis[0] !== rank - 1)) {
    throw new Error(
        `lowerModel: BatchNormalization ${path}: only the channel (last) axis can be folded into the kernel, ` +
        `got axis ${JSON.stringify(config.axis)}.`);
  }
  const read = (name: string, fallback: number): Float64Array => {
    const t = layerWeight(bn, name);
    if (t == null) return new Float64Array(channels).fill(fallback);
    if (t.size !== channels) {
      throw new Error(`lowerModel: BatchNormalization ${path}: ${name} has ${t.size} values, the kernel ${channels} channels.`);
    }
    return Float64Array.from(t.dataSync());
  };
  const gamma = read('gamma', 1);
  const beta = read('beta', 0);
  const mean = read('moving_mean', 0);
  const variance = read('moving_variance', 1);
  const epsilon = config.epsilon ?? 1e-3;
  const factor = gamma.map((g, c) => g / Math.sqrt(variance[c] + epsilon));
  const shift = beta.map((b, c) => b - mean[c] * factor[c]);
  return {factor, shift};
}

/**
 * The int8 kernel and int32 bias of a kernel layer.
 * @param kernel2d the float kernel as [rows, output channels] (the layer's layout, flattened).
 * @param bias the float bias, or null (zeros).
 * @param inputScale the scale of the layer's int8 input.
 * @param bn the BatchNormalization folded in, or null.
 * @param context names the layer in errors.
 */
export function quantizeKernelLayer(
    kernel2d: Tensor, bias: Tensor|null, k: KernelQuantizer, inputScale: number, bn: BatchNormFold|null,
    kernelLayout: KernelLayout, context: string): IntWeights {
  if (k.numBits > MAX_WEIGHT_BITS) {
    throw new Error(
        `${context} has kernel numBits ${k.numBits}; int8 export supports kernels of at most ` +
        `${MAX_WEIGHT_BITS} bits (quantizeModel's weightBits).`);
  }
  let grid = kernelGrid(kernel2d, k, context);
  let floatBias = bias != null ? Float64Array.from(bias.dataSync()) : new Float64Array(grid.channels);
  let perChannel = k.perChannel;
  if (bn != null) {
    perChannel = perChannel || kernelLayout.perChannelFold;
    grid = perChannel ? foldIntoScales(grid, bn.factor) : requantizeFolded(grid, bn.factor, k, context);
    floatBias = floatBias.map((b, c) => b * bn.factor[c] + bn.shift[c]);
  }
  const weightQuant: QuantParams = {scale: grid.scales, zeroPoint: grid.scales.map(() => 0)};
  if (perChannel) weightQuant.axis = kernelLayout.channelAxis === 'first' ? 0 : 3;
  return {
    kernel: {data: layout(grid, kernelLayout.channelAxis), quant: weightQuant},
    bias: quantizeBias(floatBias, grid, inputScale, perChannel, context),
  };
}

/**
 * The integers of the fake-quantized kernel: `fakeQuantKernel` as FakeQuantWeights computes it,
 * divided by each channel's nudged scale, checked to be integers in [-127, 127].
 */
function kernelGrid(kernel2d: Tensor, k: KernelQuantizer, context: string): KernelGrid {
  const [rows, channels] = kernel2d.shape;
  const [quantized, lo, hi] = tidy(() => {
    const [lo, hi] = symmetricKernelRange(kernel2d, k.numBits, k.perChannel, k.narrowRange);
    return [fakeQuantKernel(kernel2d, k.numBits, k.perChannel, k.narrowRange), lo, hi];
  });
  let values: Float32Array;
  let los: Float32Array;
  let his: Float32Array;
  try {
    values = quantized.dataSync() as Float32Array;
    los = lo.dataSync() as Float32Array;
    his = hi.dataSync() as Float32Array;
  } finally {
    dispose([quantized, lo, hi]);
  }
  const range = quantRange(k.numBits, k.narrowRange);
  // An all-zero channel has range [0, 0] (TF skips the nudge: its values are 0): any scale fits.
  const scales = Array.from(los, (l, c) => isZeroRange(l, his[c]) ? 1 : nudge(l, his[c], range).scale);
  const q = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const scale = scales[k.perChannel ? i % channels : 0];
    q[i] = Math.round(values[i] / scale);
    if (f32(q[i] * scale) !== values[i] || Math.abs(q[i]) > WEIGHT_MAX) {
      throw new Error(
          `${context}: the fake-quantized kernel value ${values[i]} is not an integer in ` +
          `[-${WEIGHT_MAX}, ${WEIGHT_MAX}] times its scale ${scale} (TFLite's int8 weights are ` +
          'symmetric): quantize kernels with narrowRange: true, as quantizeModel does.');
    }
  }
  return {q, scales, rows: rows!, channels: channels!};
}

/**
 * Folding into per-channel scales (a per-tensor grid's one scale shared out): scale_c *
 * |factor_c|, the integers negated where factor_c < 0.
 */
function foldIntoScales(grid: KernelGrid, factor: Float64Array): KernelGrid {
  const q = grid.q.map((v, i) => factor[i % grid.channels] < 0 ? -v : v);
  const scales = Array.from(factor, (f, c) => f === 0 ? 1 : f32(grid.scales[grid.scales.length === 1 ? 0 : c] * Math.abs(f)));
  factor.forEach((f, c) => {
    if (f === 0) for (let r = 0; r < grid.rows; r++) q[r * grid.channels + c] = 0;
  });
  return {...grid, q, scales};
}

/** Per-tensor folding: the folded float kernel, fake-quantized again per tensor. */
function requantizeFolded(grid: KernelGrid, factor: Float64Array, k: KernelQuantizer, context: string): KernelGrid {
  const folded = Float32Array.from(grid.q, (v, i) => v * grid.scales[0] * factor[i % grid.channels]);
  const t = tensor2d(folded, [grid.rows, grid.channels]);
  try {
    return kernelGrid(t, k, context);
  } finally {
    t.dispose();
  }
}

/** The int8 kernel in the exported layout: [channels, rows] or [rows, channels] (1 x ... x C). */
function layout(grid: KernelGrid, channelAxis: KernelLayout['channelAxis']): Int8Array {
  if (channelAxis === 'last') return Int8Array.from(grid.q);
  const out = new Int8Array(grid.q.length);
  for (let r = 0; r < grid.rows; r++) {
    for (let c = 0; c < grid.channels; c++) out[c * grid.rows + r] = grid.q[r * grid.channels + c];
  }
  return out;
}

/** int32 bias on scale inputScale * weightScale[c] (float32, as the file stores it), zero point 0. */
function quantizeBias(
    bias: Float64Array, grid: KernelGrid, inputScale: number, perChannel: boolean, context: string):
    {data: Int32Array, quant: QuantParams} {
  const scales = grid.scales.map((s) => f32(inputScale * s));
  const data = new Int32Array(bias.length);
  bias.forEach((b, c) => {
    const v = roundHalfAwayFromZero(b / scales[scales.length === 1 ? 0 : c]);
    if (!(Math.abs(v) <= INT32_MAX)) {
      throw new Error(
          `${context}: the bias ${b} of channel ${c} does not fit int32 on the scale ` +
          `${scales[scales.length === 1 ? 0 : c]} (input scale ${inputScale} times weight scale). ` +
          'An input scale that small comes from a FakeQuant range of almost no width: an input ' +
          'that is constant on the calibration data, such as a ReLU that is never positive there; ' +
          'calibrate on data that reaches the layer, or retrain.');
    }
    data[c] = v;
  });
  const quant: QuantParams = {scale: scales, zeroPoint: scales.map(() => 0)};
  if (perChannel) quant.axis = 0;
  return {data, quant};
}

/**
 * A kernel as [rows, output channels], in the channel order FakeQuantWeights quantizes it
 * (`kernelChannelsLast`: DepthwiseConv2D's channel in * multiplier + m).
 */
export function kernelAs2d(kernel: Tensor, className: string): Tensor {
  const channelsLast = kernelChannelsLast(kernel, className);
  const channels = channelsLast.shape[channelsLast.rank - 1];
  return reshape(channelsLast, [kernel.size / channels, channels]);
}

