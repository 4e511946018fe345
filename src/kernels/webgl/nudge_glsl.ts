/**
 * GLSL that emulates TF's float32 Nudge and quantization steps (nudge.ts) on the GPU, in the same
 * order with the same constants, so no range value is ever read back to the CPU.
 *
 * GLSL division is not correctly rounded (ES 3.0 allows 2.5 ulp), and one ulp in the scale moves
 * the nudged bounds that decide the gradient masks. On WebGL2 `divRN` therefore divides the
 * significands with integer long division and rounds to nearest even, bit-exact with IEEE float32.
 * WebGL1 has no integer bit operations: there it is the hardware quotient.
 *
 * The nudge runs once per call in a tiny program (NudgeProgram) that writes NUDGE_PARAMS values per
 * channel; the elementwise programs read them, so no fragment repeats the three exact divisions.
 */
import {quantRange} from '../../quant/nudge';

const EXACT_DIVISION_GLSL = `
float divRN(float a, float b) {
  uint ua = floatBitsToUint(a);
  uint ub = floatBitsToUint(b);
  uint ea = (ua >> 23u) & 0xffu;
  uint eb = (ub >> 23u) & 0xffu;
  // Zeros, subnormals, Inf and NaN: the hardware quotient.
  if (ea == 0u || eb == 0u || ea == 255u || eb == 255u) return a / b;
  uint rem = (ua & 0x7fffffu) | 0x800000u;
  uint divisor = (ub & 0x7fffffu) | 0x800000u;
  int exponent = int(ea) - int(eb) + 127;
  if (rem < divisor) { rem <<= 1u; exponent -= 1; }
  uint quotient = 0u;
  for (int i = 0; i < 25; i++) {  // 24 significant bits and a guard bit
    quotient <<= 1u;
    if (rem >= divisor) { rem -= divisor; quotient |= 1u; }
    rem <<= 1u;
  }
  uint significand = quotient >> 1u;
  bool roundUp = (quotient & 1u) == 1u && (rem != 0u || (significand & 1u) == 1u);
  if (roundUp) significand += 1u;
  if (significand == 0x1000000u) { significand >>= 1u; exponent += 1; }
  // Overflow and subnormal results: the hardware quotient.
  if (exponent <= 0 || exponent >= 255) return a / b;
  return uintBitsToFloat(((ua ^ ub) & 0x80000000u) | (uint(exponent) << 23u) |
                         (significand & 0x7fffffu));
}
`;

const HARDWARE_DIVISION_GLSL = `
float divRN(float a, float b) { return a / b; }
`;

/**
 * Layout of one channel's row in the nudge-parameter texture written by NudgeProgram: the fields
 * of GLSL's NudgedRange, in texture-column and struct order. Every index in the GLSL below comes
 * from this list (zeroRange is stored as 1.0 / 0.0), so reordering it reorders both sides.
 */
export const NUDGE_PARAMS =
    ['nudgedMin', 'nudgedMax', 'scale', 'invScale', 'quantZero', 'zeroRange'] as const;

export type NudgeParam = typeof NUDGE_PARAMS[number];

/** The texture column of a nudge parameter. */
export function paramIndex(param: NudgeParam): number {
  return NUDGE_PARAMS.indexOf(param);
}

/** Nudge (for NudgeProgram): TF's float32 steps with exact divisions. */
export function nudgeGlsl(numBits: number, narrowRange: boolean, webglVersion: number): string {
  const {quantMin, quantMax} = quantRange(numBits, narrowRange);
  return `
${webglVersion === 2 ? EXACT_DIVISION_GLSL : HARDWARE_DIVISION_GLSL}
const float QUANT_MIN = ${quantMin.toFixed(1)};
const float QUANT_MAX = ${quantMax.toFixed(1)};

// std::round of a value that may be a tie: exact, unlike floor(v + 0.5) in float32.
float roundHalfAwayFromZero(float v) {
  float magnitude = abs(v);
  float whole = floor(magnitude);
  float rounded = magnitude - whole >= 0.5 ? whole + 1.0 : whole;
  return v < 0.0 ? -rounded : rounded;
}

// The value of NUDGE_PARAMS[param] for the range [lo, hi] (quantZero when no other matches).
float nudgeParam(float lo, float hi, int param) {
  if (param == ${paramIndex('zeroRange')}) return (lo == 0.0 && hi == 0.0) ? 1.0 : 0.0;
  float steps = QUANT_MAX - QUANT_MIN;
  float width = hi - lo;
  float scale = divRN(width, steps);
  float invScale = divRN(steps, width);
  if (param == ${paramIndex('scale')}) return scale;
  if (param == ${paramIndex('invScale')}) return invScale;
  float zeroPointFromMin = QUANT_MIN - divRN(lo, scale);
  float zeroPoint = zeroPointFromMin < QUANT_MIN ? QUANT_MIN :
      (zeroPointFromMin > QUANT_MAX ? QUANT_MAX : roundHalfAwayFromZero(zeroPointFromMin));
  float nudgedMin = (QUANT_MIN - zeroPoint) * scale;
  if (param == ${paramIndex('nudgedMin')}) return nudgedMin;
  if (param == ${paramIndex('nudgedMax')}) return (QUANT_MAX - zeroPoint) * scale;
  return floor(-nudgedMin * invScale + 0.5);
}
`;
}

/** zeroRange is a bool of NudgedRange, stored as 1.0 / 0.0; the other fields are floats. */
function isFlag(param: NudgeParam): boolean {
  return param === 'zeroRange';
}

/** A stored parameter as its NudgedRange field. */
function fieldValue(param: NudgeParam, stored: string): string {
  return isFlag(param) ? `${stored} == 1.0` : stored;
}

const NUDGED_RANGE_STRUCT_GLSL = `struct NudgedRange {
${NUDGE_PARAMS.map(param => `  ${isFlag(param) ? 'bool' : 'float'} ${param};`).join('\n')}
};`;

const UNPACKED_PARAMS_GLSL = `
NudgedRange nudgedRange(int channel) {
  return NudgedRange(${
    NUDGE_PARAMS.map(param => fieldValue(param, `getParams(channel, ${paramIndex(param)})`))
        .join(', ')});
}
`;

/** The packed texel holding columns (2k, 2k + 1), k = floor(index / 2): p01, p23, ... */
function texelName(index: number): string {
  const first = index - index % 2;
  return `p${first}${first + 1}`;
}

/** NudgedRange of the texel rows' first (lanes x, y) or second (z, w) channel. */
function packedRangeGlsl(lanes: [string, string]): string {
  const fields = NUDGE_PARAMS.map((param, i) => fieldValue(param, `${texelName(i)}.${lanes[i % 2]}`));
  return `NudgedRange(${fields.join(', ')})`;
}

// A packed texel (r, c) holds (r, c) in x, (r, c + 1) in y, (r + 1, c) in z, (r + 1, c + 1) in w.
const PACKED_PARAMS_GLSL = `
void nudgedRangePair(int channel, out NudgedRange first, out NudgedRange second) {
${Array.from({length: Math.ceil(NUDGE_PARAMS.length / 2)},
             (_, k) => `  vec4 ${texelName(2 * k)} = getParams(channel, ${2 * k});`).join('\n')}
  first = ${packedRangeGlsl(['x', 'y'])};
  second = ${packedRangeGlsl(['z', 'w'])};
}
`;

/**
 * Quantization helpers over the parameter texture `params` ([channels, NUDGE_PARAMS.length]).
 * Unpacked, `nudgedRange(channel)` reads one channel; packed (`packedParams`),
 * `nudgedRangePair(channel, first, second)` reads channels `channel` (even) and `channel + 1`
 * from the texels of their two rows.
 * Vars' per-element division uses the hardware quotient and redoes it exactly only where it lands
 * within a few ulps of a rounding boundary, the only place where the two can disagree.
 */
export function fakeQuantGlsl(webglVersion: number, packedParams = false): string {
  return `
${webglVersion === 2 ? EXACT_DIVISION_GLSL : HARDWARE_DIVISION_GLSL}
${NUDGED_RANGE_STRUCT_GLSL}
${packedParams ? PACKED_PARAMS_GLSL : UNPACKED_PARAMS_GLSL}

// std::max(std::min(v, nudgedMax), nudgedMin): NaN stays NaN (GLSL min/max leave NaN undefined).
float clampToNudged(float v, NudgedRange r) {
  float belowMax = r.nudgedMax < v ? r.nudgedMax : v;
  return belowMax < r.nudgedMin ? r.nudgedMin : belowMax;
}

// Vars divides by the scale. The hardware quotient is off by at most a few ulps (GLSL ES allows
// 2.5): outside a margin of ~10 ulps around a boundary it gives TF's level; redo is set inside.
float divideLevel(float shifted, NudgedRange r, out bool redo) {
  float level = (shifted / r.scale - r.quantZero) + 0.5;
  float fraction = level - floor(level);
  float margin = max(max(abs(level), r.quantZero), 1.0) * 1.2e-6;
  redo = fraction < margin || fraction > 1.0 - margin;
  return level;
}
float exactDivideLevel(float shifted, NudgedRange r) {
  return (divRN(shifted, r.scale) - r.quantZero) + 0.5;
}

float fakeQuantDivide(float v, NudgedRange r) {
  float shifted = clampToNudged(v, r) - r.nudgedMin;
  bool redo;
  float level = divideLevel(shifted, r, redo);
  if (redo) level = exactDivideLevel(shifted, r);
  return floor(level) * r.scale;
}

// fakeQuantDivideElement on the 4 lanes of a texel with one range (Vars is per tensor). The exact
// divisions run one at a time in a loop, left as soon as no lane needs one: SwiftShader runs an
// if's body masked for every fragment, and 4 inlined copies of divRN made the program 2x slower.
vec4 fakeQuantDivideTexel(vec4 v, NudgedRange r) {
  if (r.zeroRange) return vec4(0.0);
  vec4 shifted = vec4(clampToNudged(v.x, r), clampToNudged(v.y, r), clampToNudged(v.z, r),
                      clampToNudged(v.w, r)) - r.nudgedMin;
  bvec4 redo;
  vec4 level = vec4(divideLevel(shifted.x, r, redo.x), divideLevel(shifted.y, r, redo.y),
                    divideLevel(shifted.z, r, redo.z), divideLevel(shifted.w, r, redo.w));
  for (int i = 0; i < 4; i++) {
    if (!any(redo)) break;
    float exact = exactDivideLevel(
        redo.x ? shifted.x : (redo.y ? shifted.y : (redo.z ? shifted.z : shifted.w)), r);
    if (redo.x) {
      level.x = exact;
      redo.x = false;
    } else if (redo.y) {
      level.y = exact;
      redo.y = false;
    } else if (redo.z) {
      level.z = exact;
      redo.z = false;
    } else {
      level.w = exact;
      redo.w = false;
    }
  }
  return floor(level) * r.scale;
}

// Args and PerChannel multiply by the separately computed inverse scale.
float fakeQuantMultiply(float v, NudgedRange r) {
  float shifted = clampToNudged(v, r) - r.nudgedMin;
  return floor((shifted * r.invScale - r.quantZero) + 0.5) * r.scale;
}

float inNudgedRange(float v, NudgedRange r) {
  return (v >= r.nudgedMin && v <= r.nudgedMax) ? 1.0 : 0.0;
}

vec2 belowAndAboveNudgedRange(float v, NudgedRange r) {
  return vec2(v < r.nudgedMin ? 1.0 : 0.0, v > r.nudgedMax ? 1.0 : 0.0);
}

// TF's forward per element: 0 for the range [0, 0] (zero-range channels of PerChannel).
float fakeQuantDivideElement(float v, NudgedRange r) {
  return r.zeroRange ? 0.0 : fakeQuantDivide(v, r);
}
float fakeQuantMultiplyElement(float v, NudgedRange r) {
  return r.zeroRange ? 0.0 : fakeQuantMultiply(v, r);
}

// dx = gradient * inRange(x): TF multiplies by the 0/1 mask, so NaN and -0 behave as in TF. The
// range [0, 0] passes the gradient through.
float inputGradientElement(float gradient, float v, NudgedRange r) {
  return r.zeroRange ? gradient : gradient * inNudgedRange(v, r);
}

// One element's terms of the (below, above) range gradients; none for the range [0, 0].
vec2 rangeGradientTerms(float gradient, float v, NudgedRange r) {
  return r.zeroRange ? vec2(0.0) : gradient * belowAndAboveNudgedRange(v, r);
}
`;
}
