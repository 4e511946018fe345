/**
 * TensorFlow's quantization range and Nudge (tensorflow/core/kernels/fake_quant_ops_functor.h),
 * in float32: every arithmetic step is rounded with Math.fround, in TF's order. Every backend takes
 * its constants and step order from here (the GLSL emulation lives in kernels/webgl/nudge_glsl.ts).
 */
const f32 = Math.fround;

export interface QuantRange {
  /** 0, or 1 with narrowRange. */
  quantMin: number;
  /** 2^numBits - 1. */
  quantMax: number;
}

export function quantRange(numBits: number, narrowRange: boolean): QuantRange {
  return {quantMin: narrowRange ? 1 : 0, quantMax: 2 ** numBits - 1};
}

/** The nudged range and the float32 constants the quantization formulas use. */
export interface NudgedRange {
  nudgedMin: number;
  nudgedMax: number;
  scale: number;
  /** (quantMax - quantMin) / (max - min): a division of its own, not 1 / scale (TF PR #55310). */
  invScale: number;
  /** floor(-nudgedMin * invScale + 0.5): the integer zeroPoint - quantMin. */
  quantZero: number;
}

/** std::round: half away from zero, exact for every float (floor(v + 0.5) is not, e.g. 0.49999997). */
export function roundHalfAwayFromZero(v: number): number {
  const magnitude = Math.abs(v);
  const whole = Math.floor(magnitude);
  const rounded = magnitude - whole >= 0.5 ? whole + 1 : whole;
  return v < 0 ? -rounded : rounded;
}

/**
 * TF's zero point: quantMin/quantMax outside the range, else std::round. TF casts NaN to uint16
 * (undefined behaviour); we keep NaN so that a NaN min/max gives NaN outputs.
 */
function nudgedZeroPoint(zeroPointFromMin: number, range: QuantRange): number {
  if (zeroPointFromMin < range.quantMin) return range.quantMin;
  if (zeroPointFromMin > range.quantMax) return range.quantMax;
  return roundHalfAwayFromZero(zeroPointFromMin);
}

export function nudge(min: number, max: number, range: QuantRange): NudgedRange {
  const quantMinF = range.quantMin;
  const quantMaxF = range.quantMax;
  const steps = quantMaxF - quantMinF;  // exact: both are small integers
  const width = f32(f32(max) - f32(min));
  const scale = f32(width / steps);
  const invScale = f32(steps / width);
  const zeroPointFromMin = f32(quantMinF - f32(f32(min) / scale));
  const zeroPoint = nudgedZeroPoint(zeroPointFromMin, range);
  const nudgedMin = f32((quantMinF - zeroPoint) * scale);
  const nudgedMax = f32((quantMaxF - zeroPoint) * scale);
  const quantZero = Math.floor(f32(f32(-nudgedMin * invScale) + 0.5));
  return {nudgedMin, nudgedMax, scale, invScale, quantZero};
}

/** TF skips Nudge when min == max == 0: outputs are 0, gradients pass through. */
export function isZeroRange(min: number, max: number): boolean {
  return min === 0 && max === 0;
}
