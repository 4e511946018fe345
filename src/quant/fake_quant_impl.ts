/**
 * TF's fake-quant forward and gradient loops over plain arrays, shared by every backend that
 * computes on the CPU (the cpu kernels and the webgl kernels' small-tensor CPU forwarding).
 * The input is viewed as [n / channels, channels]: channel c owns flat indices c, c + channels, ...
 * (TF's flat_inner_dims view); the per-tensor ops are the one-channel case.
 */
import type {FakeQuantAttrs} from '../kernel_names';
import {isZeroRange, nudge, type NudgedRange, quantRange} from './nudge';

const f32 = Math.fround;

/** Vars divides the shifted input by the scale; Args and PerChannel multiply by invScale. */
export type LevelForm = 'divide'|'multiply';

export interface FakeQuantGradientValues {
  backpropsWrtInput: Float32Array;
  backpropWrtMin: Float32Array;
  backpropWrtMax: Float32Array;
}

/** std::max(std::min(x, hi), lo): a NaN input stays NaN. */
function clampToNudged(x: number, lo: number, hi: number): number {
  const belowHi = hi < x ? hi : x;
  return belowHi < lo ? lo : belowHi;
}

function quantizeChannel(
    x: ArrayLike<number>, out: Float32Array, first: number, stride: number, range: NudgedRange,
    form: LevelForm): void {
  const {nudgedMin, nudgedMax, scale, invScale, quantZero} = range;
  const divide = form === 'divide';
  for (let i = first; i < x.length; i += stride) {
    const shifted = f32(clampToNudged(x[i], nudgedMin, nudgedMax) - nudgedMin);
    const unrounded = divide ? f32(shifted / scale) : f32(shifted * invScale);
    // The level (an integer below 2^17) times a float32 is exact in float64; the store rounds once.
    out[i] = Math.floor(f32(f32(unrounded - quantZero) + 0.5)) * scale;
  }
}

/** @param out where to write (a new array, or a backend's memory), x's length. */
export function fakeQuantForwardImpl(
    x: ArrayLike<number>, mins: ArrayLike<number>, maxs: ArrayLike<number>, attrs: FakeQuantAttrs,
    form: LevelForm, out: Float32Array): Float32Array {
  const channels = mins.length;
  const range = quantRange(attrs.numBits, attrs.narrowRange);
  for (let c = 0; c < channels; c++) {
    if (isZeroRange(mins[c], maxs[c])) {
      for (let i = c; i < x.length; i += channels) out[i] = 0;  // TF outputs zeros
    } else {
      quantizeChannel(x, out, c, channels, nudge(mins[c], maxs[c], range), form);
    }
  }
  return out;
}

/**
 * One pass per channel computes all three outputs. TF multiplies by 0/1 masks rather than
 * selecting, so an Inf or NaN gradient yields NaN where masked, and poisons both sums.
 */
function backpropChannel(
    dy: ArrayLike<number>, x: ArrayLike<number>, out: FakeQuantGradientValues, c: number,
    stride: number, {nudgedMin, nudgedMax}: NudgedRange): void {
  const dx = out.backpropsWrtInput;
  let sumBelow = 0;
  let sumAbove = 0;
  // Masks as numbers (`&` and unary `+` of booleans), not branches: out-of-range elements are
  // common in QAT and a mispredicted branch costs more than the arithmetic.
  for (let i = c; i < x.length; i += stride) {
    const v = x[i];
    const g = dy[i];
    dx[i] = g * (+(v >= nudgedMin) & +(v <= nudgedMax));
    sumBelow = f32(sumBelow + g * +(v < nudgedMin));
    sumAbove = f32(sumAbove + g * +(v > nudgedMax));
  }
  out.backpropWrtMin[c] = sumBelow;
  out.backpropWrtMax[c] = sumAbove;
}

function passThroughChannel(
    dy: ArrayLike<number>, dx: Float32Array, c: number, stride: number): void {
  for (let i = c; i < dy.length; i += stride) dx[i] = dy[i];
}

/** TF's input gradient alone (Args): dy where the input is inside the nudged range, else 0. */
function maskChannel(
    dy: ArrayLike<number>, x: ArrayLike<number>, dx: Float32Array, c: number, stride: number,
    {nudgedMin, nudgedMax}: NudgedRange): void {
  for (let i = c; i < x.length; i += stride) {
    const v = x[i];
    dx[i] = dy[i] * (+(v >= nudgedMin) & +(v <= nudgedMax));
  }
}

/**
 * The input gradient without the range sums (Args has no range gradients).
 * @param out where to write (a new array, or a backend's memory), x's length.
 */
export function fakeQuantInputGradientImpl(
    dy: ArrayLike<number>, x: ArrayLike<number>, mins: ArrayLike<number>, maxs: ArrayLike<number>,
    attrs: FakeQuantAttrs, out: Float32Array): Float32Array {
  const channels = mins.length;
  const range = quantRange(attrs.numBits, attrs.narrowRange);
  // Never a zero range: Args' op refuses min >= max, as TF's does (TF nudges without the check).
  for (let c = 0; c < channels; c++) maskChannel(dy, x, out, c, channels, nudge(mins[c], maxs[c], range));
  return out;
}

/** @param out where to write (new arrays, or a backend's memory): x's length, then one per channel. */
export function fakeQuantGradientImpl(
    dy: ArrayLike<number>, x: ArrayLike<number>, mins: ArrayLike<number>, maxs: ArrayLike<number>,
    attrs: FakeQuantAttrs, out: FakeQuantGradientValues): FakeQuantGradientValues {
  const channels = mins.length;
  const range = quantRange(attrs.numBits, attrs.narrowRange);
  for (let c = 0; c < channels; c++) {
    if (isZeroRange(mins[c], maxs[c])) {
      passThroughChannel(dy, out.backpropsWrtInput, c, channels);
      out.backpropWrtMin[c] = 0;
      out.backpropWrtMax[c] = 0;
    } else {
      backpropChannel(dy, x, out, c, channels, nudge(mins[c], maxs[c], range));
    }
  }
  return out;
}
