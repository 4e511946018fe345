/**
 * The scalar module (no SIMD): TF's loops one element at a time, range sums added sequentially
 * in float32 as the cpu kernels add them. Same exports as simd.ts; pointers are byte offsets in
 * the wasm backend's heap, which this module imports.
 */
import {maskFrom, masked, param, PARAM_HI, PARAM_LO, PER_CHANNEL_DIVIDES, quantizeEntry, quantizeFrom} from './steps';

@inline function forwardLoop(
    x: usize, out: usize, n: usize, lo: f32, hi: f32, scaling: f32, quantZero: f32, scale: f32,
    divide: bool): void {
  quantizeFrom(0, x, out, n, lo, hi, scaling, quantZero, scale, divide);
}

export function forward(
    x: usize, out: usize, n: usize, lo: f32, hi: f32, scaling: f32, quantZero: f32, scale: f32,
    divide: bool): void {
  if (divide) {
    forwardLoop(x, out, n, lo, hi, scaling, quantZero, scale, true);
  } else {
    forwardLoop(x, out, n, lo, hi, scaling, quantZero, scale, false);
  }
}

export function inputGradient(dy: usize, x: usize, dx: usize, n: usize, lo: f32, hi: f32): void {
  maskFrom(0, dy, x, dx, n, lo, hi);
}

export function gradient(
    dy: usize, x: usize, dx: usize, n: usize, lo: f32, hi: f32, dMin: usize, dMax: usize): void {
  let below: f32 = 0;
  let above: f32 = 0;
  for (let i: usize = 0; i < n; i++) {
    const o = i << 2;
    const v = load<f32>(x + o);
    const g = load<f32>(dy + o);
    store<f32>(dx + o, masked(g, v >= lo && v <= hi));
    below += masked(g, v < lo);
    above += masked(g, v > hi);
  }
  store<f32>(dMin, below);
  store<f32>(dMax, above);
}

export function forwardChannels(x: usize, out: usize, n: usize, params: usize, period: usize): void {
  let entry: usize = 0;
  for (let i: usize = 0; i < n; i++) {
    const o = i << 2;
    store<f32>(out + o, quantizeEntry(load<f32>(x + o), params, period, entry, PER_CHANNEL_DIVIDES));
    entry = entry + 1 == period ? 0 : entry + 1;
  }
}

/**
 * `sums`: float64 below[period], above[period] (then scratch this module leaves alone); each
 * running sum is rounded to float32 at every step, as the cpu kernels add.
 */
export function gradientChannels(
    dy: usize, x: usize, dx: usize, n: usize, params: usize, period: usize, sums: usize): void {
  const aboveSums = sums + (period << 3);
  for (let entry: usize = 0; entry < period; entry++) {
    store<f64>(sums + (entry << 3), 0);
    store<f64>(aboveSums + (entry << 3), 0);
  }
  let entry: usize = 0;
  for (let i: usize = 0; i < n; i++) {
    const o = i << 2;
    const v = load<f32>(x + o);
    const g = load<f32>(dy + o);
    const lo = param(params, period, PARAM_LO, entry);
    const hi = param(params, period, PARAM_HI, entry);
    store<f32>(dx + o, masked(g, v >= lo && v <= hi));
    const s = entry << 3;
    store<f64>(sums + s, <f64>(<f32>load<f64>(sums + s) + masked(g, v < lo)));
    store<f64>(aboveSums + s, <f64>(<f32>load<f64>(aboveSums + s) + masked(g, v > hi)));
    entry = entry + 1 == period ? 0 : entry + 1;
  }
}
