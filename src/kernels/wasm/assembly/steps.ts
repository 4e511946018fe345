/**
 * TF's per-element float32 steps (tensorflow/core/kernels/fake_quant_ops_functor.h) on one value,
 * shared by the scalar module's loops and the SIMD module's remainders (the *From loops run elements
 * start..n-1: the whole array there, the tail after the last full vector here). The range arrives nudged
 * (src/quant/nudge.ts, on the JS side), so each step here is one float32 operation in TF's order.
 *
 * Per-channel parameters: five float32 arrays of `period` entries each, one after the other
 * (PARAM_* below); entry j belongs to channel j % channels. `period` is the channel count, or for
 * SIMD its least common multiple with 4, so that four lanes always read four consecutive entries.
 */

export const PARAM_LO: usize = 0;
export const PARAM_HI: usize = 1;
/** scale (the divide form) or invScale (the multiply form). */
export const PARAM_SCALING: usize = 2;
export const PARAM_QUANT_ZERO: usize = 3;
export const PARAM_SCALE: usize = 4;

/** TF's PerChannel multiplies by inv_scale: Vars, the one op that divides, has a single range. */
export const PER_CHANNEL_DIVIDES = false;

/** std::max(std::min(x, hi), lo): NaN stays NaN, and -0 and +0 are not ordered. */
@inline export function clampToNudged(x: f32, lo: f32, hi: f32): f32 {
  const belowHi = hi < x ? hi : x;
  return belowHi < lo ? lo : belowHi;
}

@inline export function quantize(
    x: f32, lo: f32, hi: f32, scaling: f32, quantZero: f32, scale: f32, divide: bool): f32 {
  const shifted = clampToNudged(x, lo, hi) - lo;
  const unrounded = divide ? shifted / scaling : shifted * scaling;
  return floor<f32>(unrounded - quantZero + <f32>0.5) * scale;
}

/** TF's 0/1 masks are multiplied, not selected: an Inf or NaN gradient gives NaN where masked. */
@inline export function masked(g: f32, inside: bool): f32 {
  return g * <f32>inside;
}

@inline export function param(params: usize, period: usize, which: usize, entry: usize): f32 {
  return load<f32>(params + ((which * period + entry) << 2));
}

@inline export function quantizeEntry(
    x: f32, params: usize, period: usize, entry: usize, divide: bool): f32 {
  return quantize(
      x, param(params, period, PARAM_LO, entry), param(params, period, PARAM_HI, entry),
      param(params, period, PARAM_SCALING, entry), param(params, period, PARAM_QUANT_ZERO, entry),
      param(params, period, PARAM_SCALE, entry), divide);
}

@inline export function quantizeFrom(
    start: usize, x: usize, out: usize, n: usize, lo: f32, hi: f32, scaling: f32, quantZero: f32,
    scale: f32, divide: bool): void {
  for (let i = start; i < n; i++) {
    const o = i << 2;
    store<f32>(out + o, quantize(load<f32>(x + o), lo, hi, scaling, quantZero, scale, divide));
  }
}

@inline export function maskFrom(
    start: usize, dy: usize, x: usize, dx: usize, n: usize, lo: f32, hi: f32): void {
  for (let i = start; i < n; i++) {
    const o = i << 2;
    const v = load<f32>(x + o);
    store<f32>(dx + o, masked(load<f32>(dy + o), v >= lo && v <= hi));
  }
}
