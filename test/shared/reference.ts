/**
 * Independent float32 reference implementation of TensorFlow's CURRENT CPU
 * fake-quant kernels (`tensorflow/core/kernels/fake_quant_ops_functor.h`,
 * TF master: uint16 zero point, separate `inv_scale`, "quant_zero" form,
 * min == max == 0 special case).
 *
 * Written from /work/shared/docs/tf_fake_quant_semantics.md (§2, §3, §4.1, §5)
 * and deliberately does NOT import anything from src/, so that it can be used
 * to check the plugin's kernels.
 *
 * Every arithmetic operation on a C++ `float` in TF is one float32 rounding;
 * here each one is followed by `Math.fround`. Notation in the comments:
 * `f(...)` means "rounded to float32".
 */

const f = Math.fround;

/** A PerChannel problem; Vars and Args problems are the one-channel case with a scalar range. */
export interface Problem {
  shape: number[];
  x: Float32Array;
  dy: Float32Array;
  mins: number[];
  maxs: number[];
  numBits: number;
  narrowRange: boolean;
}

export interface RefNudged {
  nudgedMin: number;
  nudgedMax: number;
  scale: number;
  invScale: number;
  /** floor(-nudgedMin * invScale + 0.5f) in float32; an integer (zp - quantMin) for sane ranges. */
  quantZero: number;
}

/** quant_min = narrow_range ? 1 : 0; quant_max = (1 << num_bits) - 1 (fake_quant_ops.cc). */
export function refQuantRange(numBits: number, narrowRange: boolean): {quantMin: number; quantMax: number} {
  return {quantMin: narrowRange ? 1 : 0, quantMax: (1 << numBits) - 1};
}

/**
 * std::round semantics: round half AWAY from zero, exactly (no float32
 * addition involved: `v + 0.5` in float32 would turn 0.49999997 into 1).
 */
function stdRound(v: number): number {
  if (v !== v) return v; // NaN
  if (v >= 0) {
    const fl = Math.floor(v);
    return v - fl >= 0.5 ? fl + 1 : fl;
  }
  const fl = Math.floor(-v);
  return -(-v - fl >= 0.5 ? fl + 1 : fl);
}

/** std::min(a, b) = (b < a) ? b : a  (NaN in `a` propagates, ties keep `a`). */
function stdMin(a: number, b: number): number {
  return b < a ? b : a;
}

/** std::max(a, b) = (a < b) ? b : a  (NaN in `a` propagates, ties keep `a`). */
function stdMax(a: number, b: number): number {
  return a < b ? b : a;
}

/**
 * TF's Nudge(), one float32 rounding per C++ operation:
 *   scale      = f(f(max - min) / (qmaxf - qminf))
 *   inv_scale  = f((qmaxf - qminf) / f(max - min))      (separate division, not 1/scale)
 *   zp_from_min = f(qminf - f(min / scale))
 *   zp = zp_from_min < qminf ? quant_min : zp_from_min > qmaxf ? quant_max : std::round(zp_from_min)
 *   nudged_min = f((qminf - zp) * scale), nudged_max = f((qmaxf - zp) * scale)
 * plus the functors' quant_zero = floor(f(f(-nudged_min * inv_scale) + 0.5f)).
 *
 * NaN zero point (NaN min/max): TF casts std::round(NaN) to uint16, which is
 * undefined behaviour; this reference picks quant_min.
 */
export function refNudge(min: number, max: number, numBits: number, narrowRange: boolean): RefNudged {
  const minF = f(min);
  const maxF = f(max);
  const {quantMin, quantMax} = refQuantRange(numBits, narrowRange);
  const qminf = f(quantMin);
  const qmaxf = f(quantMax);
  const steps = f(qmaxf - qminf); // exact
  const range = f(maxF - minF);
  const scale = f(range / steps);
  const invScale = f(steps / range);
  const zeroPointFromMin = f(qminf - f(minF / scale));
  let zp: number;
  if (zeroPointFromMin < qminf) {
    zp = quantMin;
  } else if (zeroPointFromMin > qmaxf) {
    zp = quantMax;
  } else {
    const r = stdRound(zeroPointFromMin);
    // static_cast<uint16>(NaN) is UB in C++; pick quant_min (documented choice).
    zp = r !== r ? quantMin : r;
  }
  const nudgedMin = f(f(qminf - zp) * scale);
  const nudgedMax = f(f(qmaxf - zp) * scale);
  const quantZero = Math.floor(f(f(-nudgedMin * invScale) + 0.5));
  return {nudgedMin, nudgedMax, scale, invScale, quantZero};
}

/** Args / PerChannel element: floor(f(f(f(shifted * inv) - qz) + 0.5f)) * scale. */
function quantizeMul(x: number, n: RefNudged): number {
  const clamped = stdMax(stdMin(f(x), n.nudgedMax), n.nudgedMin);
  const shifted = f(clamped - n.nudgedMin);
  const v = f(f(f(shifted * n.invScale) - n.quantZero) + 0.5);
  return f(Math.floor(v) * n.scale);
}

/** Vars element: floor(f(f(f(shifted / scale) - qz) + 0.5f)) * scale. */
function quantizeDiv(x: number, n: RefNudged): number {
  const clamped = stdMax(stdMin(f(x), n.nudgedMax), n.nudgedMin);
  const shifted = f(clamped - n.nudgedMin);
  const v = f(f(f(shifted / n.scale) - n.quantZero) + 0.5);
  return f(Math.floor(v) * n.scale);
}

function isZeroRange(min: number, max: number): boolean {
  return f(min) === 0 && f(max) === 0;
}

/** FakeQuantWithMinMaxVars (divides by scale; min == max == 0 -> all zeros). */
export function refFakeQuantVars(
    x: ArrayLike<number>, min: number, max: number, numBits = 8, narrowRange = false): Float32Array {
  const out = new Float32Array(x.length);
  if (isZeroRange(min, max)) return out; // +0 everywhere
  const n = refNudge(min, max, numBits, narrowRange);
  for (let i = 0; i < x.length; i++) out[i] = quantizeDiv(x[i], n);
  return out;
}

/**
 * FakeQuantWithMinMaxVarsGradient: backprops = dy * float(nmin <= x <= nmax)
 * (mask multiplication: Inf*0 = NaN, -g*0 = -0); wrt_min = sum(dy * float(x < nmin)),
 * wrt_max = sum(dy * float(x > nmax)), float32 sums in flat index order from +0.
 * min == max == 0: pass-through, zero min/max gradients.
 */
export function refFakeQuantVarsGradient(
    dy: ArrayLike<number>, x: ArrayLike<number>, min: number, max: number, numBits = 8,
    narrowRange = false): {backpropsWrtInput: Float32Array; backpropWrtMin: number; backpropWrtMax: number} {
  if (dy.length !== x.length) throw new Error('gradient and input must be the same size');
  const backpropsWrtInput = new Float32Array(x.length);
  if (isZeroRange(min, max)) {
    for (let i = 0; i < x.length; i++) backpropsWrtInput[i] = f(dy[i]);
    return {backpropsWrtInput, backpropWrtMin: 0, backpropWrtMax: 0};
  }
  const n = refNudge(min, max, numBits, narrowRange);
  let sumMin = 0;
  let sumMax = 0;
  for (let i = 0; i < x.length; i++) {
    const xi = f(x[i]);
    const g = f(dy[i]);
    const inRange = xi >= n.nudgedMin && xi <= n.nudgedMax ? 1 : 0;
    const below = xi < n.nudgedMin ? 1 : 0;
    const above = xi > n.nudgedMax ? 1 : 0;
    backpropsWrtInput[i] = f(g * inRange);
    sumMin = f(sumMin + f(g * below));
    sumMax = f(sumMax + f(g * above));
  }
  return {backpropsWrtInput, backpropWrtMin: sumMin, backpropWrtMax: sumMax};
}

/**
 * FakeQuantWithMinMaxArgs (multiplies by inv_scale). min/max are attrs.
 * TF rejects min >= max at kernel construction; this reference does not
 * validate and simply evaluates the formulas (no zero-range special case).
 */
export function refFakeQuantArgs(
    x: ArrayLike<number>, min = -6, max = 6, numBits = 8, narrowRange = false): Float32Array {
  const out = new Float32Array(x.length);
  const n = refNudge(min, max, numBits, narrowRange);
  for (let i = 0; i < x.length; i++) out[i] = quantizeMul(x[i], n);
  return out;
}

/** FakeQuantWithMinMaxArgsGradient: dy * float(nmin <= x <= nmax). */
export function refFakeQuantArgsGradient(
    dy: ArrayLike<number>, x: ArrayLike<number>, min = -6, max = 6, numBits = 8,
    narrowRange = false): Float32Array {
  if (dy.length !== x.length) throw new Error('gradient and input must be the same size');
  const out = new Float32Array(x.length);
  const n = refNudge(min, max, numBits, narrowRange);
  for (let i = 0; i < x.length; i++) {
    const xi = f(x[i]);
    const inRange = xi >= n.nudgedMin && xi <= n.nudgedMax ? 1 : 0;
    out[i] = f(f(dy[i]) * inRange);
  }
  return out;
}

function checkPerChannel(n: number, min: ArrayLike<number>, max: ArrayLike<number>): number {
  const d = min.length;
  if (max.length !== d) throw new Error('min and max must have the same length');
  if (d === 0 ? n !== 0 : n % d !== 0) {
    throw new Error(`input size ${n} is not a multiple of the channel count ${d}`);
  }
  return d;
}

/**
 * FakeQuantWithMinMaxVarsPerChannel: x viewed as [n/d, d]; channel of flat
 * element i is i % d. Multiplies by inv_scale; per-channel zero-range case.
 */
export function refFakeQuantPerChannel(
    x: ArrayLike<number>, min: ArrayLike<number>, max: ArrayLike<number>, numBits = 8,
    narrowRange = false): Float32Array {
  const d = checkPerChannel(x.length, min, max);
  const out = new Float32Array(x.length);
  for (let c = 0; c < d; c++) {
    if (isZeroRange(min[c], max[c])) continue; // stays +0
    const n = refNudge(min[c], max[c], numBits, narrowRange);
    for (let i = c; i < x.length; i += d) out[i] = quantizeMul(x[i], n);
  }
  return out;
}

/** FakeQuantWithMinMaxVarsPerChannelGradient (per-channel sums in flat index order). */
export function refFakeQuantPerChannelGradient(
    dy: ArrayLike<number>, x: ArrayLike<number>, min: ArrayLike<number>, max: ArrayLike<number>,
    numBits = 8, narrowRange = false):
    {backpropsWrtInput: Float32Array; backpropWrtMin: Float32Array; backpropWrtMax: Float32Array} {
  if (dy.length !== x.length) throw new Error('gradient and input must be the same size');
  const d = checkPerChannel(x.length, min, max);
  const backpropsWrtInput = new Float32Array(x.length);
  const backpropWrtMin = new Float32Array(d);
  const backpropWrtMax = new Float32Array(d);
  for (let c = 0; c < d; c++) {
    if (isZeroRange(min[c], max[c])) {
      for (let i = c; i < x.length; i += d) backpropsWrtInput[i] = f(dy[i]);
      continue; // min/max gradients stay 0
    }
    const n = refNudge(min[c], max[c], numBits, narrowRange);
    let sumMin = 0;
    let sumMax = 0;
    for (let i = c; i < x.length; i += d) {
      const xi = f(x[i]);
      const g = f(dy[i]);
      const inRange = xi >= n.nudgedMin && xi <= n.nudgedMax ? 1 : 0;
      const below = xi < n.nudgedMin ? 1 : 0;
      const above = xi > n.nudgedMax ? 1 : 0;
      backpropsWrtInput[i] = f(g * inRange);
      sumMin = f(sumMin + f(g * below));
      sumMax = f(sumMax + f(g * above));
    }
    backpropWrtMin[c] = sumMin;
    backpropWrtMax[c] = sumMax;
  }
  return {backpropsWrtInput, backpropWrtMin, backpropWrtMax};
}

/**
 * The terms of each channel's range sums, TF's f(dy * float(x < nudged_min)) and
 * f(dy * float(x > nudged_max)) in flat index order (channel of element i: i % channels); a zero
 * range has no terms (its range gradients are 0). For checking sums added in another order.
 */
export function refRangeGradientTerms(
    dy: ArrayLike<number>, x: ArrayLike<number>, min: ArrayLike<number>, max: ArrayLike<number>,
    numBits = 8, narrowRange = false): {below: Float32Array[]; above: Float32Array[]} {
  const d = checkPerChannel(x.length, min, max);
  const below: Float32Array[] = [];
  const above: Float32Array[] = [];
  for (let c = 0; c < d; c++) {
    const rows = isZeroRange(min[c], max[c]) ? 0 : x.length / d;
    const n = refNudge(min[c], max[c], numBits, narrowRange);
    below.push(new Float32Array(rows));
    above.push(new Float32Array(rows));
    for (let r = 0; r < rows; r++) {
      const xi = f(x[r * d + c]);
      const g = f(dy[r * d + c]);
      below[c][r] = f(g * (xi < n.nudgedMin ? 1 : 0));
      above[c][r] = f(g * (xi > n.nudgedMax ? 1 : 0));
    }
  }
  return {below, above};
}
