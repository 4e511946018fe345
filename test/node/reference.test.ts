/**
 * Proves that the float32 reference (test/shared/reference.ts) reproduces
 * TensorFlow's own kernel tests, the XLA tests, the numbers quoted in docs and
 * issues, and the float32 surprises listed in the semantics doc.
 * Pure reference: no tfjs involved.
 */
import {
  refFakeQuantArgs, refFakeQuantArgsGradient, refFakeQuantPerChannel, refFakeQuantPerChannelGradient,
  refFakeQuantVars, refFakeQuantVarsGradient, refNudge, refQuantRange,
} from '../shared/reference';
import {INV_SCALE_CASE} from '../shared/derived_cases';
import {DOC_CASES, TF_FORWARD_CASES, TF_GRADIENT_CASES, type TfForwardCase, type TfGradientCase, XLA_CASES} from '../shared/tf_cases';

const f = Math.fround;
const FLT_EPSILON = 1.1920928955078125e-7; // 2^-23
const TF_TOL = 5 * FLT_EPSILON; // test::ExpectClose default atol = rtol

/** Indices where |actual - expected| > atol + rtol * |expected| (NaN only matches NaN). */
function closeMismatches(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): string[] {
  const bad: string[] = [];
  if (actual.length !== expected.length) return [`length ${actual.length} != ${expected.length}`];
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(a) || Number.isNaN(e)) {
      if (!(Number.isNaN(a) && Number.isNaN(e))) bad.push(`[${i}] ${a} vs ${e}`);
      continue;
    }
    if (a === e) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) bad.push(`[${i}] ${a} vs ${e}`);
  }
  return bad;
}

/** Indices where Object.is(actual, f32(expected)) fails (bit-exact, sign of zero included). */
function exactMismatches(actual: ArrayLike<number>, expected: ArrayLike<number>): string[] {
  const bad: string[] = [];
  if (actual.length !== expected.length) return [`length ${actual.length} != ${expected.length}`];
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], f(expected[i]))) bad.push(`[${i}] ${actual[i]} vs ${expected[i]}`);
  }
  return bad;
}

const prod = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const asArray = (v: number | number[]) => (Array.isArray(v) ? v : [v]);
const asScalar = (v: number | number[]) => (Array.isArray(v) ? v[0] : v);

function runForward(c: TfForwardCase): Float32Array {
  switch (c.op) {
    case 'Args':
      return refFakeQuantArgs(c.inputs, asScalar(c.min), asScalar(c.max), c.numBits, c.narrowRange);
    case 'Vars':
      return refFakeQuantVars(c.inputs, asScalar(c.min), asScalar(c.max), c.numBits, c.narrowRange);
    case 'PerChannel':
      return refFakeQuantPerChannel(c.inputs, asArray(c.min), asArray(c.max), c.numBits, c.narrowRange);
  }
}

function checkForward(c: TfForwardCase) {
  expect(c.inputs.length).toBe(prod(c.shape));
  expect(c.expected.length).toBe(c.inputs.length);
  if (c.op === 'PerChannel') expect(c.shape[c.shape.length - 1]).toBe(asArray(c.min).length);
  const out = runForward(c);
  if (c.exact) {
    expect(exactMismatches(out, c.expected)).toEqual([]);
  } else {
    expect(closeMismatches(out, c.expected, TF_TOL, TF_TOL)).toEqual([]);
  }
}

describe('TF C++ kernel tests (fake_quant_ops_test.cc)', () => {
  it('has all 104 TEST_Fs, with the expected split per op', () => {
    const count = (cases: Array<{op: string}>, op: string) => cases.filter((c) => c.op === op).length;
    expect(count(TF_FORWARD_CASES, 'Args')).toBe(24);
    expect(count(TF_FORWARD_CASES, 'Vars')).toBe(19);
    expect(count(TF_FORWARD_CASES, 'PerChannel')).toBe(27);
    expect(count(TF_GRADIENT_CASES, 'Args')).toBe(4);
    expect(count(TF_GRADIENT_CASES, 'Vars')).toBe(5);
    expect(count(TF_GRADIENT_CASES, 'PerChannel')).toBe(25);
    const names = [...TF_FORWARD_CASES, ...TF_GRADIENT_CASES].map((c) => c.name);
    expect(new Set(names).size).toBe(104);
    expect(TF_FORWARD_CASES.filter((c) => c.exact).length).toBe(6);
    expect([...TF_FORWARD_CASES, ...TF_GRADIENT_CASES, ...DOC_CASES].filter((c) => c.knownDifference)).toEqual([]);
  });

  describe('forward (ExpectClose, atol = rtol = 5*FLT_EPSILON; exact for SymmetricRangeZeroInput)', () => {
    it.each(TF_FORWARD_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => checkForward(c));
  });

  describe('gradients (upstream gradients 1..n, exact)', () => {
    it.each(TF_GRADIENT_CASES.map((c) => [c.name, c] as const))('%s', (_name, c: TfGradientCase) => {
      expect(c.inputs.length).toBe(prod(c.shape));
      expect(c.gradients.length).toBe(c.inputs.length);
      if (c.op === 'Args') {
        const bp = refFakeQuantArgsGradient(c.gradients, c.inputs, asScalar(c.min), asScalar(c.max), c.numBits,
            c.narrowRange);
        expect(exactMismatches(bp, c.expectedBackprops)).toEqual([]);
        expect(c.expectedWrtMin).toBeUndefined();
        expect(c.expectedWrtMax).toBeUndefined();
      } else if (c.op === 'Vars') {
        const r = refFakeQuantVarsGradient(c.gradients, c.inputs, asScalar(c.min), asScalar(c.max), c.numBits,
            c.narrowRange);
        expect(exactMismatches(r.backpropsWrtInput, c.expectedBackprops)).toEqual([]);
        expect(r.backpropWrtMin).toBe(c.expectedWrtMin);
        expect(r.backpropWrtMax).toBe(c.expectedWrtMax);
      } else {
        const r = refFakeQuantPerChannelGradient(c.gradients, c.inputs, asArray(c.min), asArray(c.max), c.numBits,
            c.narrowRange);
        expect(exactMismatches(r.backpropsWrtInput, c.expectedBackprops)).toEqual([]);
        expect(exactMismatches(r.backpropWrtMin, asArray(c.expectedWrtMin as number | number[]))).toEqual([]);
        expect(exactMismatches(r.backpropWrtMax, asArray(c.expectedWrtMax as number | number[]))).toEqual([]);
      }
    });
  });
});

describe('TF XLA tests (compiler/tests/fake_quant_ops_test.py), rtol 1e-3 atol 1e-5', () => {
  it('has 16 parameter sets of 11 elements', () => {
    expect(XLA_CASES.length).toBe(16);
    for (const c of XLA_CASES) {
      expect(c.inputs.length).toBe(11);
      expect(c.expected.length).toBe(11);
    }
  });
  const rows = XLA_CASES.map((c) => [c.name, c] as const);
  it.each(rows)('FakeQuantWithMinMaxArgs %s', (_n, c) => {
    const out = refFakeQuantArgs(c.inputs, c.min, c.max, c.numBits, c.narrowRange);
    expect(closeMismatches(out, c.expected, c.atol, c.rtol)).toEqual([]);
  });
  it.each(rows)('FakeQuantWithMinMaxArgsGradient %s', (_n, c) => {
    const bp = refFakeQuantArgsGradient(c.gradients, c.inputs, c.min, c.max, c.numBits, c.narrowRange);
    expect(closeMismatches(bp, c.expectedBackprops, c.atol, c.rtol)).toEqual([]);
  });
  it.each(rows)('FakeQuantWithMinMaxVars %s', (_n, c) => {
    const out = refFakeQuantVars(c.inputs, c.min, c.max, c.numBits, c.narrowRange);
    expect(closeMismatches(out, c.expected, c.atol, c.rtol)).toEqual([]);
  });
  it.each(rows)('FakeQuantWithMinMaxVarsGradient %s', (_n, c) => {
    const r = refFakeQuantVarsGradient(c.gradients, c.inputs, c.min, c.max, c.numBits, c.narrowRange);
    expect(closeMismatches(r.backpropsWrtInput, c.expectedBackprops, c.atol, c.rtol)).toEqual([]);
    expect(closeMismatches([r.backpropWrtMin], [c.expectedWrtMin], c.atol, c.rtol)).toEqual([]);
    expect(closeMismatches([r.backpropWrtMax], [c.expectedWrtMax], c.atol, c.rtol)).toEqual([]);
  });
  it.each(rows)('nudged range of %s is the one the test names', (_n, c) => {
    const n = refNudge(c.min, c.max, c.numBits, c.narrowRange);
    expect(n.nudgedMin).toBeCloseTo(c.expectedNudgedMin, 5);
    expect(n.nudgedMax).toBeCloseTo(c.expectedNudgedMax, 5);
    expect(n.scale).toBeCloseTo(c.expectedStep, 6);
  });
});

describe('outputs quoted in docs and issues', () => {
  it.each(DOC_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => checkForward(c));

  it('api_def 16-bit example: zero point 32768, bounds [-5.0000763, 4.9999237]', () => {
    const n = refNudge(-5, 5, 16, false);
    expect(n.quantZero).toBe(32768);
    expect(n.nudgedMin).toBe(f(-32768 * n.scale));
    expect(n.nudgedMax).toBe(f(32767 * n.scale));
  });

  it('#858 (legacy bits): the current kernel gives 1.0039216 for the last element, not 1.0039215', () => {
    const out = refFakeQuantVars([-1, 0, 1], -1, 1);
    expect(out[2]).toBe(f(1.0039216));
    expect(out[2]).not.toBe(f(1.0039215));
    expect(out[0]).toBe(f(-0.9960785));
    expect(Object.is(out[1], 0)).toBe(true);
  });

  it('#23351: Args(123; 12, 123) is exactly 111', () => {
    expect(refFakeQuantArgs([123], 12, 123)[0]).toBe(111);
  });
});

describe('quant range', () => {
  it('follows num_bits and narrow_range', () => {
    expect(refQuantRange(8, false)).toEqual({quantMin: 0, quantMax: 255});
    expect(refQuantRange(8, true)).toEqual({quantMin: 1, quantMax: 255});
    expect(refQuantRange(16, false)).toEqual({quantMin: 0, quantMax: 65535});
    expect(refQuantRange(2, true)).toEqual({quantMin: 1, quantMax: 3});
  });
});

describe('float32 surprises of Nudge (semantics doc §3)', () => {
  it.each([[-10, 10], [-1, 1]])('[%d, %d] at 8 bits gives zero point 127, not 128', (min, max) => {
    const n = refNudge(min, max, 8, false);
    // zero_point_from_min = f(0 - f(min / scale)) is 127.49999237 in float32.
    expect(f(0 - f(f(min) / n.scale))).toBe(f(127.49999237060547));
    expect(n.quantZero).toBe(127);
    expect(n.nudgedMin).toBe(f(-127 * n.scale));
    expect(n.nudgedMax).toBe(f(128 * n.scale));
    expect(n.scale).toBe(f(f(max - min) / 255));
  });

  it('[-10, 10] narrow range gives zero point 128 (quant_zero 127)', () => {
    const n = refNudge(-10, 10, 8, true);
    expect(n.nudgedMin).toBe(f(-127 * n.scale));
    expect(n.nudgedMax).toBe(f(127 * n.scale));
    expect(n.quantZero).toBe(127); // zp - quant_min = 128 - 1
  });

  it('[-0.75, 0.75] at 8 bits is exactly 127.5 and rounds half away to 128', () => {
    const n = refNudge(-0.75, 0.75, 8, false);
    expect(f(0 - f(f(-0.75) / n.scale))).toBe(127.5);
    expect(n.quantZero).toBe(128);
    expect(n.nudgedMin).toBe(f(-128 * n.scale));
    expect(n.nudgedMax).toBe(f(127 * n.scale));
  });

  it('Vars(-0.5, 2.5, 4 bits): zero point from min is exactly 2.5 and rounds to 3', () => {
    const n = refNudge(-0.5, 2.5, 4, false);
    expect(f(0 - f(f(-0.5) / n.scale))).toBe(2.5);
    expect(n.quantZero).toBe(3);
    expect(n.nudgedMin).toBe(f(-3 * n.scale));
    expect(n.nudgedMax).toBe(f(12 * n.scale));
    expect(Array.from(refFakeQuantVars([2.579, -0.6, 2.6], -0.5, 2.5, 4))).toEqual([f(2.4), f(-0.6), f(2.4)]);
  });

  it('zero point 0.49999997 rounds to 0 (a float32 floor(v + 0.5) would give 1)', () => {
    // Found by search: f(0 - f(min / scale)) === f(0.49999997) for this float32 pair.
    const min = -0.18802572786808014;
    const max = 95.7051010131836;
    expect(f(min)).toBe(min);
    expect(f(max)).toBe(max);
    const n = refNudge(min, max, 8, false);
    const zpFromMin = f(0 - f(min / n.scale));
    expect(zpFromMin).toBe(f(0.49999997));
    expect(zpFromMin).toBeLessThan(0.5);
    expect(Math.floor(f(zpFromMin + 0.5))).toBe(1); // the trap
    expect(n.quantZero).toBe(0);
    expect(Object.is(n.nudgedMin, 0)).toBe(true);
    expect(n.nudgedMax).toBe(f(255 * n.scale));
  });

  it('a range entirely above 0 becomes [0, max - min]; entirely below 0 becomes [min - max, 0]', () => {
    const up = refNudge(12, 123, 8, false);
    expect(Object.is(up.nudgedMin, 0)).toBe(true);
    expect(up.nudgedMax).toBe(f(255 * up.scale));
    const down = refNudge(-123, -12, 8, false);
    expect(down.nudgedMin).toBe(f(-255 * down.scale));
    expect(Object.is(down.nudgedMax, 0)).toBe(true);
    expect(down.quantZero).toBe(255);
  });

  it('inv_scale is a separate division, not 1/scale (a range where the two differ)', () => {
    const n = refNudge(0, 1, 8, false);
    expect(n.invScale).toBe(255);
    expect(f(1 / n.scale)).not.toBe(n.invScale);
    const c = INV_SCALE_CASE;
    expect(Array.from(refFakeQuantArgs(c.inputs, c.min, c.max, c.numBits, c.narrowRange))).toEqual(c.expected);
  });

  it('quantizes levels half up (floor(v + 0.5)), even when v is negative', () => {
    // [-1, 0.5] at 2 bits: scale 0.5, zp 2, quant_zero 2. x = -0.75 is exactly halfway between
    // -1.0 and -0.5: v = 0.5 - 2 = -1.5, floor(-1.0) = -1 -> -0.5 (tie toward +inf).
    expect(refFakeQuantArgs([-0.75, -0.25, 0.25], -1, 0.5, 2)).toEqual(new Float32Array([-0.5, 0, 0.5]));
  });
});

describe('forward: special values', () => {
  it('min == max == 0: Vars and PerChannel output +0 everywhere, NaN and Inf included', () => {
    const out = refFakeQuantVars([NaN, Infinity, -3, -0], 0, 0);
    expect(Array.from(out).every((v) => Object.is(v, 0))).toBe(true);
    const pc = refFakeQuantPerChannel([NaN, 5, Infinity, 5], [0, -1], [0, 1]);
    expect(Object.is(pc[0], 0)).toBe(true);
    expect(Object.is(pc[2], 0)).toBe(true);
    const n = refNudge(-1, 1, 8, false);
    expect(pc[1]).toBe(n.nudgedMax);
    expect(pc[3]).toBe(n.nudgedMax);
    // -0 min/max count as zero too (float comparison).
    expect(Object.is(refFakeQuantVars([1], -0, 0)[0], 0)).toBe(true);
  });

  it('NaN input gives NaN; +Inf clamps to nudged_max and -Inf to nudged_min', () => {
    const n = refNudge(-1, 1, 8, false);
    for (const out of [
      refFakeQuantVars([NaN, Infinity, -Infinity], -1, 1),
      refFakeQuantArgs([NaN, Infinity, -Infinity], -1, 1),
      refFakeQuantPerChannel([NaN, Infinity, -Infinity], [-1], [1]),
    ]) {
      expect(Number.isNaN(out[0])).toBe(true);
      expect(out[1]).toBe(n.nudgedMax);
      expect(out[2]).toBe(n.nudgedMin);
    }
  });

  it('output is never -0 for a positive scale: -0 and tiny negatives that quantize to zp give +0', () => {
    const out = refFakeQuantVars([-0, -1e-9, 1e-9], -1, 1);
    expect(Array.from(out).every((v) => Object.is(v, 0))).toBe(true);
    const args = refFakeQuantArgs([-0, -0.01], -0.1, 63.65);
    expect(Object.is(args[0], 0)).toBe(true);
    expect(Object.is(args[1], 0)).toBe(true);
  });

  it('min == max != 0 (scale 0): NaN outputs for Vars and PerChannel', () => {
    expect(Array.from(refFakeQuantVars([-1, 0, 0.5, 2], 0.5, 0.5)).every(Number.isNaN)).toBe(true);
    expect(Array.from(refFakeQuantPerChannel([-1, 0, 0.5, 2], [-2, -2, -2, -2], [-2, -2, -2, -2]))
        .every(Number.isNaN)).toBe(true);
  });

  it('NaN min or max: NaN outputs (zero point cast is UB in TF; reference picks quant_min)', () => {
    expect(Array.from(refFakeQuantVars([-1, 0, 1], NaN, 1)).every(Number.isNaN)).toBe(true);
    expect(Array.from(refFakeQuantVars([-1, 0, 1], -1, NaN)).every(Number.isNaN)).toBe(true);
    expect(Array.from(refFakeQuantPerChannel([-1, 0, 1], [NaN], [1])).every(Number.isNaN)).toBe(true);
  });

  it('min > max: inverted clamp, every output equals quantize(nudged_min)', () => {
    const n = refNudge(1, -1, 8, false);
    expect(n.scale).toBeLessThan(0);
    const out = refFakeQuantVars([-5, -1, 0, 0.3, 1, 5], 1, -1);
    const first = out[0];
    expect(Number.isFinite(first)).toBe(true);
    expect(Array.from(out).every((v) => Object.is(v, first))).toBe(true);
    expect(first).toBe(f(f(-n.quantZero) * n.scale)); // level of nudged_min: floor(0 - qz + 0.5)
  });

  it('Args defaults: min -6, max 6, 8 bits, wide range', () => {
    expect(refFakeQuantArgs([7, -7, 0.1])).toEqual(refFakeQuantArgs([7, -7, 0.1], -6, 6, 8, false));
    const n = refNudge(-6, 6, 8, false);
    expect(refFakeQuantArgs([7])[0]).toBe(n.nudgedMax);
  });

  it('inputs are taken as float32 (doubles are rounded on entry)', () => {
    expect(refFakeQuantVars([0.1], -1, 1)).toEqual(refFakeQuantVars([f(0.1)], f(-1), f(1)));
  });
});

describe('gradients: masks, special values and sign of zero', () => {
  it('input mask is inclusive on the nudged bounds; min/max masks are strict', () => {
    const n = refNudge(-0.125, 63.625, 8, false); // nudged [-0.25, 63.5]
    expect(n.nudgedMin).toBe(-0.25);
    expect(n.nudgedMax).toBe(63.5);
    const r = refFakeQuantVarsGradient([1, 2, 3, 4], [-0.25, 63.5, -0.125, 63.625], -0.125, 63.625);
    // x == raw max 63.625 is above the nudged max: zero input gradient, counts into wrt_max.
    expect(Array.from(r.backpropsWrtInput)).toEqual([1, 2, 3, 0]);
    expect(r.backpropWrtMin).toBe(0);
    expect(r.backpropWrtMax).toBe(4);
  });

  it('min == max == 0: pass-through (NaN and Inf included) and zero min/max gradients', () => {
    const r = refFakeQuantVarsGradient([NaN, Infinity, -2], [5, -5, 0], 0, 0);
    expect(Number.isNaN(r.backpropsWrtInput[0])).toBe(true);
    expect(r.backpropsWrtInput[1]).toBe(Infinity);
    expect(r.backpropsWrtInput[2]).toBe(-2);
    expect(Object.is(r.backpropWrtMin, 0)).toBe(true);
    expect(Object.is(r.backpropWrtMax, 0)).toBe(true);
    const pc = refFakeQuantPerChannelGradient([1, 2, 3, 4], [9, 9, 9, 9], [0, -1], [0, 1]);
    expect(Array.from(pc.backpropsWrtInput)).toEqual([1, 0, 3, 0]);
    expect(Array.from(pc.backpropWrtMin)).toEqual([0, 0]);
    expect(Array.from(pc.backpropWrtMax)).toEqual([0, 6]);
  });

  it('an Inf gradient outside the range gives NaN (Inf * 0) in backprops and poisons the other sum', () => {
    // x = -5 is below: backprop Inf*0 = NaN, wrt_min += Inf*1, wrt_max += Inf*0 = NaN.
    const r = refFakeQuantVarsGradient([Infinity, 1], [-5, 0], -1, 1);
    expect(Number.isNaN(r.backpropsWrtInput[0])).toBe(true);
    expect(r.backpropsWrtInput[1]).toBe(1);
    expect(r.backpropWrtMin).toBe(Infinity);
    expect(Number.isNaN(r.backpropWrtMax)).toBe(true);
    // In range: backprop Inf, both sums NaN.
    const r2 = refFakeQuantVarsGradient([Infinity], [0], -1, 1);
    expect(r2.backpropsWrtInput[0]).toBe(Infinity);
    expect(Number.isNaN(r2.backpropWrtMin)).toBe(true);
    expect(Number.isNaN(r2.backpropWrtMax)).toBe(true);
    // Args: same mask multiplication.
    const a = refFakeQuantArgsGradient([Infinity, -Infinity, NaN], [5, -5, 0], -1, 1);
    expect(Array.from(a).every(Number.isNaN)).toBe(true);
    // PerChannel: per-channel sums.
    const pc = refFakeQuantPerChannelGradient([Infinity, 1, 2, 3], [5, 0, 0, 0], [-1, -1], [1, 1]);
    expect(Number.isNaN(pc.backpropsWrtInput[0])).toBe(true);
    expect(Number.isNaN(pc.backpropWrtMin[0])).toBe(true);
    expect(pc.backpropWrtMax[0]).toBe(Infinity);
    expect(Array.from(pc.backpropWrtMin.slice(1))).toEqual([0]);
  });

  it('NaN inputs fail every comparison: zero input gradient, no contribution to min/max', () => {
    const r = refFakeQuantVarsGradient([7, 1], [NaN, -5], -1, 1);
    expect(Object.is(r.backpropsWrtInput[0], 0)).toBe(true);
    expect(r.backpropWrtMin).toBe(1);
    expect(r.backpropWrtMax).toBe(0);
  });

  it('+Inf input counts as above, -Inf as below', () => {
    const r = refFakeQuantVarsGradient([2, 3], [Infinity, -Infinity], -1, 1);
    expect(Array.from(r.backpropsWrtInput)).toEqual([0, 0]);
    expect(r.backpropWrtMin).toBe(3);
    expect(r.backpropWrtMax).toBe(2);
  });

  it('a negative gradient masked to 0 gives -0; sums start at +0', () => {
    const r = refFakeQuantVarsGradient([-3, -4], [5, 0], -1, 1);
    expect(Object.is(r.backpropsWrtInput[0], -0)).toBe(true);
    expect(r.backpropsWrtInput[1]).toBe(-4);
    expect(Object.is(r.backpropWrtMin, 0)).toBe(true); // 0 + (-4 * 0 = -0) = +0
    expect(r.backpropWrtMax).toBe(-3);
    const a = refFakeQuantArgsGradient([-3], [5], -1, 1);
    expect(Object.is(a[0], -0)).toBe(true);
    const pc = refFakeQuantPerChannelGradient([-3], [5], [-1], [1]);
    expect(Object.is(pc.backpropsWrtInput[0], -0)).toBe(true);
    expect(Object.is(pc.backpropWrtMin[0], 0)).toBe(true);
  });

  it('min/max sums are float32 and sequential in flat index order', () => {
    // 2^24 + 1 + 1: float32 sequential sum stays 2^24 (each +1 is lost); a float64 sum would be 2^24 + 2.
    const r = refFakeQuantVarsGradient([16777216, 1, 1], [-5, -5, -5], -1, 1);
    expect(r.backpropWrtMin).toBe(16777216);
    // Order matters: 1 + 1 + 2^24 = 2^24 + 2 exactly.
    const r2 = refFakeQuantVarsGradient([1, 1, 16777216], [-5, -5, -5], -1, 1);
    expect(r2.backpropWrtMin).toBe(16777218);
    // Per channel, channel of flat element i is i % d.
    const pc = refFakeQuantPerChannelGradient([16777216, 5, 1, 6, 1, 7], [-5, 9, -5, 9, -5, 9], [-1, -1], [1, 1]);
    expect(Array.from(pc.backpropWrtMin)).toEqual([16777216, 0]);
    expect(Array.from(pc.backpropWrtMax)).toEqual([0, 18]);
  });

  it('rejects gradient/input size mismatches', () => {
    expect(() => refFakeQuantVarsGradient([1, 2], [1], -1, 1)).toThrow();
    expect(() => refFakeQuantArgsGradient([1, 2], [1])).toThrow();
    expect(() => refFakeQuantPerChannelGradient([1, 2], [1], [-1], [1])).toThrow();
  });
});

describe('Vars divides, Args and PerChannel multiply by inv_scale', () => {
  it('the two forms differ on some 16-bit inputs, and each op uses its own form', () => {
    // Search a deterministic grid for an input where shifted/scale and shifted*inv_scale land on
    // different sides of a .5 tie; then check that Vars and Args disagree there as the doc says.
    const min = -3.1;
    const max = 7.7;
    const n = refNudge(min, max, 16, false);
    let found = -1;
    for (let k = 0; k < 200000 && found < 0; k++) {
      const x = f(n.nudgedMin + (k + 0.5) * n.scale + (k % 7) * 1e-9);
      const sh = f(f(Math.min(Math.max(x, n.nudgedMin), n.nudgedMax)) - n.nudgedMin);
      const byDiv = Math.floor(f(f(f(sh / n.scale) - n.quantZero) + 0.5));
      const byMul = Math.floor(f(f(f(sh * n.invScale) - n.quantZero) + 0.5));
      if (byDiv !== byMul) found = x;
    }
    expect(found).not.toBe(-1);
    const vars = refFakeQuantVars([found], min, max, 16)[0];
    const args = refFakeQuantArgs([found], min, max, 16)[0];
    const pc = refFakeQuantPerChannel([found], [min], [max], 16)[0];
    expect(vars).not.toBe(args);
    expect(pc).toBe(args);
    expect(Math.abs(vars - args)).toBeCloseTo(n.scale, 6);
  });
});
