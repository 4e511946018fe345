/**
 * The SIMD module: TF's loops four lanes at a time (the remainder one element at a time with the
 * same steps), the wasm backend's heap imported, pointers as byte offsets in it. Same exports as
 * scalar.ts. The forward and the input gradient are TF's per-element float32 steps, so lanes
 * change nothing; the range sums are added in another order than the cpu kernels: each lane sums
 * at most BLOCK_VECTORS terms in float32, and those partial sums are added in float64 (rounded
 * once at the end), which keeps them within float32 summation error of the sequential sums.
 */
import {maskFrom, masked, param, PARAM_HI, PARAM_LO, PARAM_QUANT_ZERO, PARAM_SCALE, PARAM_SCALING, PER_CHANNEL_DIVIDES, quantizeEntry, quantizeFrom} from './steps';

const BLOCK_VECTORS: usize = 256;

/** f32x4.pmin(x, hi) is `hi < x ? hi : x` and pmax(v, lo) `v < lo ? lo : v`: TF's clamp. */
@inline function quantizeLanes(
    x: v128, lo: v128, hi: v128, scaling: v128, quantZero: v128, scale: v128, divide: bool): v128 {
  const shifted = f32x4.sub(f32x4.pmax(f32x4.pmin(x, hi), lo), lo);
  const unrounded = divide ? f32x4.div(shifted, scaling) : f32x4.mul(shifted, scaling);
  const level = f32x4.floor(f32x4.add(f32x4.sub(unrounded, quantZero), f32x4.splat(0.5)));
  return f32x4.mul(level, scale);
}

/** g times a 0/1 lane mask (a comparison's all-ones lanes ANDed with 1.0f). */
@inline function maskedLanes(g: v128, mask: v128): v128 {
  return f32x4.mul(g, v128.and(mask, f32x4.splat(1)));
}

@inline function insideLanes(x: v128, lo: v128, hi: v128): v128 {
  return v128.and(f32x4.ge(x, lo), f32x4.le(x, hi));
}

/** The float64 sum of a float32 vector's lanes added to `acc` (two float64 lanes). */
@inline function widenedAdd(acc: v128, lanes: v128): v128 {
  const high = v128.shuffle<f32>(lanes, lanes, 2, 3, 0, 1);
  return f64x2.add(f64x2.add(acc, f64x2.promote_low_f32x4(lanes)), f64x2.promote_low_f32x4(high));
}

@inline function laneSum(acc: v128): f64 {
  return f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
}

@inline function forwardLoop(
    x: usize, out: usize, n: usize, lo: f32, hi: f32, scaling: f32, quantZero: f32, scale: f32,
    divide: bool): void {
  const loV = f32x4.splat(lo);
  const hiV = f32x4.splat(hi);
  const scalingV = f32x4.splat(scaling);
  const quantZeroV = f32x4.splat(quantZero);
  const scaleV = f32x4.splat(scale);
  const vectorEnd = n & ~3;
  let i: usize = 0;
  for (; i < vectorEnd; i += 4) {
    const o = i << 2;
    v128.store(out + o,
               quantizeLanes(v128.load(x + o), loV, hiV, scalingV, quantZeroV, scaleV, divide));
  }
  quantizeFrom(i, x, out, n, lo, hi, scaling, quantZero, scale, divide);
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
  const loV = f32x4.splat(lo);
  const hiV = f32x4.splat(hi);
  const vectorEnd = n & ~3;
  let i: usize = 0;
  for (; i < vectorEnd; i += 4) {
    const o = i << 2;
    v128.store(dx + o, maskedLanes(v128.load(dy + o), insideLanes(v128.load(x + o), loV, hiV)));
  }
  maskFrom(i, dy, x, dx, n, lo, hi);
}

export function gradient(
    dy: usize, x: usize, dx: usize, n: usize, lo: f32, hi: f32, dMin: usize, dMax: usize): void {
  const loV = f32x4.splat(lo);
  const hiV = f32x4.splat(hi);
  const vectorEnd = n & ~3;
  let belowWide = f64x2.splat(0);
  let aboveWide = f64x2.splat(0);
  let i: usize = 0;
  while (i < vectorEnd) {
    const blockEnd = min(i + BLOCK_VECTORS * 4, vectorEnd);
    let below = f32x4.splat(0);
    let above = f32x4.splat(0);
    for (; i < blockEnd; i += 4) {
      const o = i << 2;
      const g = v128.load(dy + o);
      const v = v128.load(x + o);
      v128.store(dx + o, maskedLanes(g, insideLanes(v, loV, hiV)));
      below = f32x4.add(below, maskedLanes(g, f32x4.lt(v, loV)));
      above = f32x4.add(above, maskedLanes(g, f32x4.gt(v, hiV)));
    }
    belowWide = widenedAdd(belowWide, below);
    aboveWide = widenedAdd(aboveWide, above);
  }
  let belowSum = laneSum(belowWide);
  let aboveSum = laneSum(aboveWide);
  for (; i < n; i++) {
    const o = i << 2;
    const v = load<f32>(x + o);
    const g = load<f32>(dy + o);
    store<f32>(dx + o, masked(g, v >= lo && v <= hi));
    belowSum += <f64>masked(g, v < lo);
    aboveSum += <f64>masked(g, v > hi);
  }
  store<f32>(dMin, <f32>belowSum);
  store<f32>(dMax, <f32>aboveSum);
}

/** `period` is a multiple of 4: the lanes read entries entry..entry+3, which never wrap. */
export function forwardChannels(x: usize, out: usize, n: usize, params: usize, period: usize): void {
  const arrayBytes = period << 2;
  const vectorEnd = n & ~3;
  let p: usize = 0;  // the byte offset of the lanes' first entry
  let i: usize = 0;
  for (; i < vectorEnd; i += 4) {
    const o = i << 2;
    const at = params + p;
    v128.store(out + o, quantizeLanes(
        v128.load(x + o), v128.load(at + arrayBytes * PARAM_LO), v128.load(at + arrayBytes * PARAM_HI),
        v128.load(at + arrayBytes * PARAM_SCALING), v128.load(at + arrayBytes * PARAM_QUANT_ZERO),
        v128.load(at + arrayBytes * PARAM_SCALE), PER_CHANNEL_DIVIDES));
    p = p + 16 == arrayBytes ? 0 : p + 16;
  }
  for (let entry = p >> 2; i < n; i++, entry++) {
    const o = i << 2;
    store<f32>(out + o, quantizeEntry(load<f32>(x + o), params, period, entry, PER_CHANNEL_DIVIDES));
  }
}

/**
 * `sums`: float64 below[period], above[period], then float32 below[period], above[period]: the
 * lanes' partial sums, added into the float64 ones every BLOCK_VECTORS periods.
 */
export function gradientChannels(
    dy: usize, x: usize, dx: usize, n: usize, params: usize, period: usize, sums: usize): void {
  const arrayBytes = period << 2;
  const aboveWide = sums + (period << 3);
  const belowLanes = sums + (period << 4);
  const aboveLanes = belowLanes + arrayBytes;
  for (let p: usize = 0; p < arrayBytes; p += 16) {
    v128.store(sums + (p << 1), f64x2.splat(0));
    v128.store(sums + (p << 1) + 16, f64x2.splat(0));
    v128.store(aboveWide + (p << 1), f64x2.splat(0));
    v128.store(aboveWide + (p << 1) + 16, f64x2.splat(0));
    v128.store(belowLanes + p, f32x4.splat(0));
    v128.store(aboveLanes + p, f32x4.splat(0));
  }
  const vectorEnd = n & ~3;
  let i: usize = 0;
  while (i < vectorEnd) {
    const blockEnd = min(i + BLOCK_VECTORS * period, vectorEnd);
    let p: usize = 0;
    for (; i < blockEnd; i += 4) {
      const o = i << 2;
      const g = v128.load(dy + o);
      const v = v128.load(x + o);
      const lo = v128.load(params + arrayBytes * PARAM_LO + p);
      const hi = v128.load(params + arrayBytes * PARAM_HI + p);
      v128.store(dx + o, maskedLanes(g, insideLanes(v, lo, hi)));
      v128.store(belowLanes + p,
                 f32x4.add(v128.load(belowLanes + p), maskedLanes(g, f32x4.lt(v, lo))));
      v128.store(aboveLanes + p,
                 f32x4.add(v128.load(aboveLanes + p), maskedLanes(g, f32x4.gt(v, hi))));
      p = p + 16 == arrayBytes ? 0 : p + 16;
    }
    for (let q: usize = 0; q < arrayBytes; q += 16) {
      widenLanes(sums + (q << 1), belowLanes + q);
      widenLanes(aboveWide + (q << 1), aboveLanes + q);
    }
  }
  for (let entry = vectorEnd % period; i < n; i++, entry++) {
    const o = i << 2;
    const v = load<f32>(x + o);
    const g = load<f32>(dy + o);
    const lo = param(params, period, PARAM_LO, entry);
    const hi = param(params, period, PARAM_HI, entry);
    store<f32>(dx + o, masked(g, v >= lo && v <= hi));
    const s = entry << 3;
    store<f64>(sums + s, load<f64>(sums + s) + <f64>masked(g, v < lo));
    store<f64>(aboveWide + s, load<f64>(aboveWide + s) + <f64>masked(g, v > hi));
  }
}

/** Four float32 lane sums at `lanes` added into the four float64 sums at `wide`, then zeroed. */
@inline function widenLanes(wide: usize, lanes: usize): void {
  const v = v128.load(lanes);
  const high = v128.shuffle<f32>(v, v, 2, 3, 0, 1);
  v128.store(wide, f64x2.add(v128.load(wide), f64x2.promote_low_f32x4(v)));
  v128.store(wide + 16, f64x2.add(v128.load(wide + 16), f64x2.promote_low_f32x4(high)));
  v128.store(lanes, f32x4.splat(0));
}
