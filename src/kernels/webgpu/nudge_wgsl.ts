/**
 * WGSL that emulates TF's float32 Nudge and quantization steps (nudge.ts) on the GPU, in the same
 * order with the same constants, for the webgpu kernels. The GLSL twin is nudge_glsl.ts.
 *
 * What WGSL does not promise, and how each step avoids depending on it:
 *   - `/` is only accurate to 2.5 ulp: every division whose rounding matters is `divRN`, an
 *     integer long division of the significands rounded to nearest even, bit-exact with IEEE
 *     float32 for every input (zeros, subnormals, infinities and NaN included). The per-element
 *     division of the Vars forward uses the hardware quotient only where its 2.5 ulp error bound
 *     (with a 6x margin) proves the quantization level unchanged (fqDividedLevel), else divRN.
 *   - an implementation may contract `a * b + c` into one fused multiply-add (Vulkan drivers do):
 *     every product that feeds an addition goes through `fqOpaque`, an xor of its bits with a
 *     uniform that is 0 at run time, so the product is rounded to float32 first.
 *   - NaN and infinities may be "assumed absent": NaN is detected on the bits (`fqIsNan`), no
 *     comparison is evaluated with a NaN operand (inputs and ranges are tested first), and NaN
 *     results are built from bits.
 *   - min/max/round/clamp builtins have no NaN or tie guarantees: none is used (std::min/std::max
 *     order and std::round's half-away-from-zero are written out, as in the GLSL).
 * `+`, `-`, `*` of finite float32 values and `floor` are exact or correctly rounded in WGSL.
 *
 * The quantization range (quant_min, quant_max of nudge.ts's quantRange) is an input of the
 * program, not a constant, so one compiled pipeline serves every bit width.
 */
/**
 * Float32 division rounded to nearest even by u32 long division: IEEE-exact, no `/`. Also the
 * NaN-safe helpers. `opaqueZeroBits` is a WGSL u32 expression that is 0 at run time but unknown to
 * the compiler (a uniform): WGSL rejects a NaN built from constants, and `fqOpaque` needs it.
 */
export function divRNWgsl(opaqueZeroBits: string): string {
  return `
// The float32 value of v, rounded on its own: stops a compiler fusing it into a following add.
fn fqOpaque(v: f32) -> f32 { return bitcast<f32>(bitcast<u32>(v) ^ (${opaqueZeroBits})); }
fn fqNan() -> f32 { return bitcast<f32>(0x7fc00000u | (${opaqueZeroBits})); }
fn fqIsNan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
fn fqIsFinite(v: f32) -> bool { return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u; }

// The significand of a finite non-zero |value| with its leading one at bit 23 (subnormals are
// normalised), and the biased exponent that goes with it (below 1 for subnormals).
struct FqUnpacked { sig: u32, exp: i32 }
fn fqUnpack(magnitude: u32) -> FqUnpacked {
  let e = i32(magnitude >> 23u);
  let m = magnitude & 0x7fffffu;
  if (e == 0) {
    let shift = countLeadingZeros(m) - 8u;
    return FqUnpacked(m << shift, 1 - i32(shift));
  }
  return FqUnpacked(m | 0x800000u, e);
}

fn divRN(a: f32, b: f32) -> f32 {
  let ua = bitcast<u32>(a);
  let ub = bitcast<u32>(b);
  let sign = (ua ^ ub) & 0x80000000u;
  let ma = ua & 0x7fffffffu;
  let mb = ub & 0x7fffffffu;
  if (ma > 0x7f800000u || mb > 0x7f800000u) { return fqNan(); }
  if (ma == 0x7f800000u) {
    if (mb == 0x7f800000u) { return fqNan(); }
    return bitcast<f32>(sign | 0x7f800000u);
  }
  if (mb == 0x7f800000u) { return bitcast<f32>(sign); }
  if (mb == 0u) {
    if (ma == 0u) { return fqNan(); }
    return bitcast<f32>(sign | 0x7f800000u);
  }
  if (ma == 0u) { return bitcast<f32>(sign); }
  let na = fqUnpack(ma);
  let nb = fqUnpack(mb);
  var rem = na.sig;
  let divisor = nb.sig;
  var exponent = na.exp - nb.exp + 127;
  if (rem < divisor) {
    rem = rem << 1u;
    exponent = exponent - 1;
  }
  // 24 significant bits and a guard bit; rem != 0 is the sticky bit.
  var q = 0u;
  for (var i = 0; i < 25; i = i + 1) {
    let bit = rem >= divisor;
    rem = (rem - select(0u, divisor, bit)) << 1u;
    q = (q << 1u) | select(0u, 1u, bit);
  }
  if (exponent >= 1) {
    var sig = q >> 1u;
    if ((q & 1u) == 1u && (rem != 0u || (sig & 1u) == 1u)) { sig = sig + 1u; }
    if (sig == 0x1000000u) {
      sig = sig >> 1u;
      exponent = exponent + 1;
    }
    if (exponent >= 255) { return bitcast<f32>(sign | 0x7f800000u); }
    return bitcast<f32>(sign | (u32(exponent) << 23u) | (sig & 0x7fffffu));
  }
  // Subnormal result: q * 2^(exponent - 2) units of 2^-149, rounded to nearest even.
  let shift = u32(2 - exponent);
  if (shift >= 26u) { return bitcast<f32>(sign); }
  var sub = q >> shift;
  let roundBit = (q >> (shift - 1u)) & 1u;
  let sticky = (q & ((1u << (shift - 1u)) - 1u)) != 0u || rem != 0u;
  if (roundBit == 1u && (sticky || (sub & 1u) == 1u)) { sub = sub + 1u; }
  return bitcast<f32>(sign | sub);
}
`;
}

/**
 * WGSL expressions a program supplies: the quantization range (f32, e.g. uniforms holding
 * quantRange()'s ends, so that one pipeline serves every bit width) and a u32 that is 0 at run
 * time but unknown to the compiler (a uniform).
 */
export interface FakeQuantWgslInputs {
  quantMin: string;
  quantMax: string;
  opaqueZeroBits: string;
}

/** Nudge and quantization helpers. */
export function fakeQuantWgsl({quantMin, quantMax, opaqueZeroBits}: FakeQuantWgslInputs): string {
  return `
${divRNWgsl(opaqueZeroBits)}
fn fqQuantMin() -> f32 { return ${quantMin}; }
fn fqQuantMax() -> f32 { return ${quantMax}; }

struct NudgedRange {
  nudgedMin: f32,
  nudgedMax: f32,
  scale: f32,
  invScale: f32,
  quantZero: f32,
}

// std::round of a finite value that may be a tie: half away from zero, exact.
fn fqRoundHalfAwayFromZero(v: f32) -> f32 {
  let magnitude = abs(v);
  let whole = floor(magnitude);
  var rounded = whole;
  if (magnitude - whole >= 0.5) { rounded = whole + 1.0; }
  if (v < 0.0) { return -rounded; }
  return rounded;
}

fn fqIsZeroRange(lo: f32, hi: f32) -> bool {
  return lo == 0.0 && hi == 0.0;
}

fn nudge(lo: f32, hi: f32) -> NudgedRange {
  let QUANT_MIN = fqQuantMin();
  let QUANT_MAX = fqQuantMax();
  let steps = QUANT_MAX - QUANT_MIN;
  let width = hi - lo;
  let scale = divRN(width, steps);
  let invScale = divRN(steps, width);
  let zeroPointFromMin = QUANT_MIN - divRN(lo, scale);
  if (fqIsNan(zeroPointFromMin)) {
    // TF casts NaN to uint16 (undefined behaviour); like the cpu kernel, everything becomes NaN.
    return NudgedRange(fqNan(), fqNan(), scale, invScale, fqNan());
  }
  var zeroPoint = QUANT_MIN;
  if (zeroPointFromMin > QUANT_MAX) {
    zeroPoint = QUANT_MAX;
  } else if (!(zeroPointFromMin < QUANT_MIN)) {
    zeroPoint = fqRoundHalfAwayFromZero(zeroPointFromMin);
  }
  let nudgedMin = (QUANT_MIN - zeroPoint) * scale;
  let nudgedMax = (QUANT_MAX - zeroPoint) * scale;
  let quantZero = floor(fqOpaque(-nudgedMin * invScale) + 0.5);
  return NudgedRange(nudgedMin, nudgedMax, scale, invScale, quantZero);
}

// Per-range flags, computed once per thread (not per element):
//   forward: a range whose constants are NaN (NaN bounds, or min == max != 0: quant_zero is NaN)
//     gives NaN for every input, as the cpu kernel's arithmetic does;
//   masks: only NaN bounds make every mask false (min == max != 0 keeps [0, 0] bounds).
fn fqForwardRangeIsNan(r: NudgedRange) -> bool {
  return fqIsNan(r.nudgedMin) || fqIsNan(r.nudgedMax) || fqIsNan(r.quantZero);
}
fn fqBoundsAreNan(r: NudgedRange) -> bool {
  return fqIsNan(r.nudgedMin) || fqIsNan(r.nudgedMax);
}

// std::max(std::min(v, nudgedMax), nudgedMin) for a non-NaN v and range.
fn fqShifted(v: f32, r: NudgedRange) -> f32 {
  var clamped = v;
  if (r.nudgedMax < clamped) { clamped = r.nudgedMax; }
  if (clamped < r.nudgedMin) { clamped = r.nudgedMin; }
  return clamped - r.nudgedMin;
}

fn fqLevelTimesScale(t: f32, r: NudgedRange) -> f32 {
  if (fqIsNan(t)) { return fqNan(); }
  return floor(t) * r.scale;
}

// floor(((shifted / scale) - quantZero) + 0.5) with the quotient rounded correctly, i.e. the
// result of divRN. That function of the quotient is monotone, so when it takes the same value 16
// floats below and above the hardware quotient (WGSL bounds its error by 2.5 ulp for a normal
// divisor: the correctly rounded quotient lies within 6 floats of it), that value is exact.
// Only quotients near a rounding boundary (or out of the bounded range) take the long division.
fn fqDividedLevel(shifted: f32, r: NudgedRange) -> f32 {
  // Inputs at or below the nudged minimum (often a third of them): 0 / scale is exactly 0.
  if (shifted == 0.0) { return floor((0.0 - r.quantZero) + 0.5); }
  let quotient = shifted / r.scale;
  let bits = bitcast<u32>(quotient);
  let scaleBits = bitcast<u32>(r.scale) & 0x7fffffffu;
  // quotient in [2^-100, 2^127) (positive, far from subnormals and overflow) and
  // |scale| in [2^-126, 2^126].
  if (bits >= 0x0d800000u && bits < 0x7f000000u && scaleBits >= 0x00800000u &&
      scaleBits <= 0x7e800000u) {
    let below = floor(fqOpaque(bitcast<f32>(bits - 16u) - r.quantZero) + 0.5);
    let above = floor(fqOpaque(bitcast<f32>(bits + 16u) - r.quantZero) + 0.5);
    if (below == above) { return below; }
  }
  return floor((divRN(shifted, r.scale) - r.quantZero) + 0.5);
}

// Vars divides the shifted input by the scale.
fn fakeQuantDivide(v: f32, r: NudgedRange, rangeIsNan: bool) -> f32 {
  if (rangeIsNan || fqIsNan(v)) { return fqNan(); }
  let level = fqDividedLevel(fqShifted(v, r), r);
  if (fqIsNan(level)) { return fqNan(); }
  return level * r.scale;
}

// Args and PerChannel multiply by the separately computed inverse scale.
fn fakeQuantMultiply(v: f32, r: NudgedRange, rangeIsNan: bool) -> f32 {
  if (rangeIsNan || fqIsNan(v)) { return fqNan(); }
  return fqLevelTimesScale((fqOpaque(fqShifted(v, r) * r.invScale) - r.quantZero) + 0.5, r);
}

// The masks compare the raw input with the nudged bounds: inclusive in range, strict outside;
// a NaN input or NaN bounds fail every comparison. The comparisons are on the bits (an order key
// of a non-NaN float), because GPUs may flush subnormal operands of a float comparison to zero:
// -1e-45 must stay below a nudged minimum of 0.
struct FqMasks {
  inRange: bool,
  below: bool,
  above: bool,
}
fn fqOrderKey(v: f32) -> i32 {
  let bits = bitcast<u32>(v);
  let magnitude = i32(bits & 0x7fffffffu);
  return select(magnitude, -magnitude, bits >= 0x80000000u);  // -0 and +0 are both 0
}
fn fqMasks(v: f32, r: NudgedRange, boundsAreNan: bool) -> FqMasks {
  let comparable = !(boundsAreNan || fqIsNan(v));
  let k = fqOrderKey(v);
  let lo = fqOrderKey(r.nudgedMin);
  let hi = fqOrderKey(r.nudgedMax);
  return FqMasks(comparable && k >= lo && k <= hi, comparable && k < lo, comparable && k > hi);
}

// g * 0.0 as IEEE computes it: a zero with g's sign, NaN for an infinite or NaN g.
fn fqTimesZero(g: f32) -> f32 {
  if (!fqIsFinite(g)) { return fqNan(); }
  return bitcast<f32>(bitcast<u32>(g) & 0x80000000u);
}
`;
}
