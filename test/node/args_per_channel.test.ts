/**
 * FakeQuantWithMinMaxArgs / ...ArgsGradient / ...VarsPerChannel / ...VarsPerChannelGradient on the
 * cpu backend, through the package's public ops:
 *   - TensorFlow's C++ kernel tests (fake_quant_ops_test.cc): forward within TF's tolerance
 *     (test::ExpectClose, 5 eps) and exact for the atol = rtol = 0 cases, gradients exactly; and
 *     every case bit for bit against the independent float32 reference (test/shared/reference.ts);
 *   - the XLA parameter sets for Args / ArgsGradient, and the Args / PerChannel doc and issue cases;
 *   - fast-check properties against the reference, bit for bit (per-element Object.is, every NaN
 *     equal to every NaN): PerChannel over ranks 1..5, 1..8 channels, per-channel ranges including
 *     min == max == 0, min > 0, max < 0; Args over random min < max; numBits 2..16, narrowRange;
 *     NaN / +-Inf inputs and upstream gradients;
 *   - gradient routing (tf.grads / tf.grad give the gradient ops' numbers, one gradient kernel run
 *     per backward pass), the chained tensor methods, argument errors naming the argument, and
 *     tf.memory().numTensors after failed and successful calls.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';

import {FakeQuantWithMinMaxArgs, FakeQuantWithMinMaxArgsGradient, FakeQuantWithMinMaxVarsPerChannel, FakeQuantWithMinMaxVarsPerChannelGradient, fakeQuantWithMinMaxArgs, fakeQuantWithMinMaxArgsGradient, fakeQuantWithMinMaxVarsPerChannel, fakeQuantWithMinMaxVarsPerChannelGradient} from '../../src';
import {refFakeQuantArgs, refFakeQuantArgsGradient, refFakeQuantPerChannel, refFakeQuantPerChannelGradient, refFakeQuantVars, refNudge} from '../shared/reference';
import {INV_SCALE_CASE} from '../shared/derived_cases';
import {DOC_CASES, TF_FORWARD_CASES, TF_GRADIENT_CASES, type TfForwardCase, type TfGradientCase, XLA_CASES} from '../shared/tf_cases';
import {mulberry32} from '../shared/random';
import {fromBits, mismatches, nextDown, nextUp} from '../shared/float32';
import {expectThrowsNoLeak, withKernelCounts} from './jest_util';
import {finiteFloat32, type KindedRange, properRangeKinds} from '../shared/arbitraries';

const f32 = Math.fround;
const FLT_EPSILON = 2 ** -23;
const TF_TOL = 5 * FLT_EPSILON;

// The error cases deliberately pass wrong types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fqArgs = fakeQuantWithMinMaxArgs as any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fqArgsGrad = fakeQuantWithMinMaxArgsGradient as any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fqPc = fakeQuantWithMinMaxVarsPerChannel as any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fqPcGrad = fakeQuantWithMinMaxVarsPerChannelGradient as any;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------


function expectSameFloats(actual: ArrayLike<number>, expected: ArrayLike<number>, what = ''): void {
  expect(mismatches(actual, expected, what, 10)).toEqual([]);
}

/** TF's test::ExpectClose with atol = rtol = 5 * FLT_EPSILON (tensor_testutil.cc). */
function tfCloseReport(actual: ArrayLike<number>, expected: ArrayLike<number>): string[] {
  const bad: string[] = [];
  if (actual.length !== expected.length) return [`length ${actual.length} != ${expected.length}`];
  for (let i = 0; i < expected.length; i++) {
    const e = f32(expected[i]);
    const a = actual[i];
    if (!(Math.abs(a - e) <= TF_TOL + TF_TOL * Math.abs(e))) {
      bad.push(`[${i}] got ${a} want ${e} (|diff| ${Math.abs(a - e)})`);
    }
  }
  return bad;
}

function uniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({length: n}, () => lo + (hi - lo) * r());
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function numberOf(v: number|number[], what: string): number {
  if (typeof v !== 'number') throw new Error(`an Args case must have a scalar ${what}`);
  return v;
}
function arrayOf(v: number|number[], what: string): number[] {
  if (typeof v === 'number') throw new Error(`a PerChannel case must have a 1-D ${what}`);
  return v;
}



// ---------------------------------------------------------------------------------------------
// Running the ops
// ---------------------------------------------------------------------------------------------

function runArgs(x: ArrayLike<number>, shape: number[], min: number, max: number, numBits: number,
                 narrowRange: boolean): Float32Array {
  const xt = tf.tensor(x as number[], shape, 'float32');
  const before = tf.memory().numTensors;
  const y = fakeQuantWithMinMaxArgs(xt, min, max, numBits, narrowRange);
  expect(tf.memory().numTensors).toBe(before + 1);
  expect(y.shape).toEqual(shape);
  expect(y.dtype).toBe('float32');
  const values = y.dataSync() as Float32Array;
  tf.dispose([xt, y]);
  return values;
}

function runArgsGradient(dy: ArrayLike<number>, x: ArrayLike<number>, shape: number[], min: number,
                         max: number, numBits: number, narrowRange: boolean): Float32Array {
  const dyt = tf.tensor(dy as number[], shape, 'float32');
  const xt = tf.tensor(x as number[], shape, 'float32');
  const before = tf.memory().numTensors;
  const r = fakeQuantWithMinMaxArgsGradient(dyt, xt, min, max, numBits, narrowRange);
  expect(tf.memory().numTensors).toBe(before + 1);
  expect(r.shape).toEqual(shape);
  expect(r.dtype).toBe('float32');
  const values = r.dataSync() as Float32Array;
  tf.dispose([dyt, xt, r]);
  return values;
}

function runPerChannel(x: ArrayLike<number>, shape: number[], min: ArrayLike<number>,
                       max: ArrayLike<number>, numBits: number, narrowRange: boolean): Float32Array {
  const xt = tf.tensor(x as number[], shape, 'float32');
  const mint = tf.tensor1d(min as number[], 'float32');
  const maxt = tf.tensor1d(max as number[], 'float32');
  const before = tf.memory().numTensors;
  const y = fakeQuantWithMinMaxVarsPerChannel(xt, mint, maxt, numBits, narrowRange);
  expect(tf.memory().numTensors).toBe(before + 1);
  expect(y.shape).toEqual(shape);
  expect(y.dtype).toBe('float32');
  const values = y.dataSync() as Float32Array;
  tf.dispose([xt, mint, maxt, y]);
  return values;
}

interface PcGrads {
  dx: Float32Array;
  dMin: Float32Array;
  dMax: Float32Array;
}

function runPerChannelGradient(dy: ArrayLike<number>, x: ArrayLike<number>, shape: number[],
                               min: ArrayLike<number>, max: ArrayLike<number>, numBits: number,
                               narrowRange: boolean): PcGrads {
  const dyt = tf.tensor(dy as number[], shape, 'float32');
  const xt = tf.tensor(x as number[], shape, 'float32');
  const mint = tf.tensor1d(min as number[], 'float32');
  const maxt = tf.tensor1d(max as number[], 'float32');
  const before = tf.memory().numTensors;
  const r = fakeQuantWithMinMaxVarsPerChannelGradient(dyt, xt, mint, maxt, numBits, narrowRange);
  expect(tf.memory().numTensors).toBe(before + 3);
  expect(r.backpropsWrtInput.shape).toEqual(shape);
  expect(r.backpropWrtMin.shape).toEqual([min.length]);
  expect(r.backpropWrtMax.shape).toEqual([max.length]);
  const out = {
    dx: r.backpropsWrtInput.dataSync() as Float32Array,
    dMin: r.backpropWrtMin.dataSync() as Float32Array,
    dMax: r.backpropWrtMax.dataSync() as Float32Array,
  };
  tf.dispose([dyt, xt, mint, maxt, r.backpropsWrtInput, r.backpropWrtMin, r.backpropWrtMax]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// TensorFlow's cases
// ---------------------------------------------------------------------------------------------

function checkForward(c: TfForwardCase): void {
  expect(c.inputs.length).toBe(c.expected.length);
  expect(sizeOf(c.shape)).toBe(c.inputs.length);
  let actual: Float32Array;
  let reference: Float32Array;
  if (c.op === 'Args') {
    const min = numberOf(c.min, 'min');
    const max = numberOf(c.max, 'max');
    actual = runArgs(c.inputs, c.shape, min, max, c.numBits, c.narrowRange);
    reference = refFakeQuantArgs(c.inputs, min, max, c.numBits, c.narrowRange);
  } else if (c.op === 'PerChannel') {
    const min = arrayOf(c.min, 'min');
    const max = arrayOf(c.max, 'max');
    expect(min.length).toBe(c.shape[c.shape.length - 1]);
    actual = runPerChannel(c.inputs, c.shape, min, max, c.numBits, c.narrowRange);
    reference = refFakeQuantPerChannel(c.inputs, min, max, c.numBits, c.narrowRange);
  } else {
    throw new Error(`unexpected op ${c.op}`);
  }
  // TF's expectation (ExpectClose), exactly for the atol = rtol = 0 tests.
  expect(tfCloseReport(actual, c.expected)).toEqual([]);
  if (c.exact) expectSameFloats(actual, Float32Array.from(c.expected), 'exact');
  // The independent reference of TF's current kernel, bit for bit.
  expectSameFloats(actual, reference, 'reference');
}

function checkGradient(c: TfGradientCase): void {
  if (c.op === 'Args') {
    const min = numberOf(c.min, 'min');
    const max = numberOf(c.max, 'max');
    expect(c.expectedWrtMin).toBeUndefined();
    const dx = runArgsGradient(c.gradients, c.inputs, c.shape, min, max, c.numBits, c.narrowRange);
    // Gradients are 1..n, so masked elements are +0 and the comparison is exact.
    expectSameFloats(dx, c.expectedBackprops, 'TF');
    expectSameFloats(
        dx, refFakeQuantArgsGradient(c.gradients, c.inputs, min, max, c.numBits, c.narrowRange),
        'reference');
  } else if (c.op === 'PerChannel') {
    const min = arrayOf(c.min, 'min');
    const max = arrayOf(c.max, 'max');
    const r = runPerChannelGradient(
        c.gradients, c.inputs, c.shape, min, max, c.numBits, c.narrowRange);
    expectSameFloats(r.dx, c.expectedBackprops, 'TF dx');
    expectSameFloats(r.dMin, arrayOf(c.expectedWrtMin!, 'expectedWrtMin'), 'TF dMin');
    expectSameFloats(r.dMax, arrayOf(c.expectedWrtMax!, 'expectedWrtMax'), 'TF dMax');
    const e = refFakeQuantPerChannelGradient(
        c.gradients, c.inputs, min, max, c.numBits, c.narrowRange);
    expectSameFloats(r.dx, e.backpropsWrtInput, 'reference dx');
    expectSameFloats(r.dMin, e.backpropWrtMin, 'reference dMin');
    expectSameFloats(r.dMax, e.backpropWrtMax, 'reference dMax');
  } else {
    throw new Error(`unexpected op ${c.op}`);
  }
}

const ARGS_FORWARD = TF_FORWARD_CASES.filter((c) => c.op === 'Args');
const PC_FORWARD = TF_FORWARD_CASES.filter((c) => c.op === 'PerChannel');
const ARGS_GRADIENT = TF_GRADIENT_CASES.filter((c) => c.op === 'Args');
const PC_GRADIENT = TF_GRADIENT_CASES.filter((c) => c.op === 'PerChannel');
const DOC_ARGS_PC = DOC_CASES.filter((c) => c.op === 'Args' || c.op === 'PerChannel');

describe('case tables', () => {
  it('hold every Args / PerChannel test of fake_quant_ops_test.cc', () => {
    expect(ARGS_FORWARD).toHaveLength(24);
    expect(ARGS_GRADIENT).toHaveLength(4);
    expect(PC_FORWARD).toHaveLength(27);
    expect(PC_GRADIENT).toHaveLength(25);
    expect(XLA_CASES).toHaveLength(16);
    expect(DOC_ARGS_PC.length).toBeGreaterThanOrEqual(4);
    // Ranks 1, 2 and 4 and the zero-range case are all present.
    expect(new Set(PC_FORWARD.map((c) => c.shape.length))).toEqual(new Set([1, 2, 4]));
    expect(PC_FORWARD.some((c) => arrayOf(c.min, 'min').every((v, i) => v === 0 &&
                                                             arrayOf(c.max, 'max')[i] === 0)))
        .toBe(true);
    expect([...ARGS_FORWARD, ...PC_FORWARD].some((c) => c.exact)).toBe(true);
  });
});

describe('fake_quant_ops_test.cc: FakeQuantWithMinMaxArgs', () => {
  for (const c of ARGS_FORWARD) it(c.name, () => checkForward(c));
});

describe('fake_quant_ops_test.cc: FakeQuantWithMinMaxArgsGradient', () => {
  for (const c of ARGS_GRADIENT) it(c.name, () => checkGradient(c));
});

describe('fake_quant_ops_test.cc: FakeQuantWithMinMaxVarsPerChannel', () => {
  for (const c of PC_FORWARD) it(c.name, () => checkForward(c));
});

describe('fake_quant_ops_test.cc: FakeQuantWithMinMaxVarsPerChannelGradient', () => {
  for (const c of PC_GRADIENT) it(c.name, () => checkGradient(c));
});

describe('docs and issues: Args and PerChannel', () => {
  for (const c of DOC_ARGS_PC) {
    it(c.name, () => {
      if (c.knownDifference) throw new Error(`unexpected knownDifference: ${c.knownDifference}`);
      checkForward(c);
    });
  }

  it('#23351: Args(123, min=12, max=123) is exactly 111 (range moved to [0, 111])', () => {
    const y = runArgs([123], [], 12, 123, 8, false);
    expect(y[0]).toBe(111);
  });
});

describe('XLA parameter sets (compiler/tests/fake_quant_ops_test.py): Args, ArgsGradient', () => {
  for (const c of XLA_CASES) {
    it(`${c.name}: FakeQuantWithMinMaxArgs`, () => {
      const actual = runArgs(c.inputs, [c.inputs.length], c.min, c.max, c.numBits, c.narrowRange);
      const bad: string[] = [];
      for (let i = 0; i < c.expected.length; i++) {
        if (!(Math.abs(actual[i] - c.expected[i]) <= c.atol + c.rtol * Math.abs(c.expected[i]))) {
          bad.push(`[${i}] got ${actual[i]} want ${c.expected[i]}`);
        }
      }
      expect(bad).toEqual([]);
      expectSameFloats(
          actual, refFakeQuantArgs(c.inputs, c.min, c.max, c.numBits, c.narrowRange), 'reference');
    });

    it(`${c.name}: FakeQuantWithMinMaxArgsGradient`, () => {
      const dx = runArgsGradient(
          c.gradients, c.inputs, [c.inputs.length], c.min, c.max, c.numBits, c.narrowRange);
      expectSameFloats(dx, c.expectedBackprops, 'XLA');
      expectSameFloats(
          dx,
          refFakeQuantArgsGradient(c.gradients, c.inputs, c.min, c.max, c.numBits, c.narrowRange),
          'reference');
    });

    it(`${c.name}: as one channel of FakeQuantWithMinMaxVarsPerChannel (+ gradient)`, () => {
      // Same range in 3 channels, the 11 inputs repeated per channel: shape [11, 3].
      const x = c.inputs.flatMap((v) => [v, v, v]);
      const g = c.gradients.flatMap((v) => [v, v, v]);
      const mins = [c.min, c.min, c.min];
      const maxs = [c.max, c.max, c.max];
      const y = runPerChannel(x, [11, 3], mins, maxs, c.numBits, c.narrowRange);
      const bad: string[] = [];
      for (let i = 0; i < x.length; i++) {
        const e = c.expected[Math.floor(i / 3)];
        if (!(Math.abs(y[i] - e) <= c.atol + c.rtol * Math.abs(e))) bad.push(`[${i}] ${y[i]} vs ${e}`);
      }
      expect(bad).toEqual([]);
      expectSameFloats(y, refFakeQuantPerChannel(x, mins, maxs, c.numBits, c.narrowRange));
      const r = runPerChannelGradient(g, x, [11, 3], mins, maxs, c.numBits, c.narrowRange);
      expectSameFloats(r.dx, c.expectedBackprops.flatMap((v) => [v, v, v]), 'dx');
      expectSameFloats(r.dMin, [c.expectedWrtMin, c.expectedWrtMin, c.expectedWrtMin], 'dMin');
      expectSameFloats(r.dMax, [c.expectedWrtMax, c.expectedWrtMax, c.expectedWrtMax], 'dMax');
    });
  }
});

describe('Args multiplies by inv_scale, Vars divides (semantics doc §4.1)', () => {
  it('finds 16-bit inputs where the two forms differ and Args follows the multiply form', () => {
    // Search deterministic 16-bit data for an element where Vars' form and Args' form differ,
    // so that an Args kernel using the divide form would fail here.
    const x = uniform(200000, -1.1, 1.3, 77);
    const min = -1;
    const max = 1.25;
    const args = refFakeQuantArgs(x, min, max, 16, false);
    const vars = refFakeQuantVars(x, min, max, 16, false);
    const differ: number[] = [];
    for (let i = 0; i < x.length; i++) if (!Object.is(args[i], vars[i])) differ.push(i);
    expect(differ.length).toBeGreaterThan(0);
    const xs = differ.map((i) => x[i]);
    expectSameFloats(runArgs(xs, [xs.length], min, max, 16, false),
                     differ.map((i) => args[i]), 'Args');
    expectSameFloats(runPerChannel(xs, [xs.length, 1], [min], [max], 16, false),
                     differ.map((i) => args[i]), 'PerChannel');
  });

  it('multiplies by TF\'s inv_scale (its own division), not by 1 / scale', () => {
    const c = INV_SCALE_CASE;
    const n = c.inputs.length;
    expectSameFloats(runArgs(c.inputs, [n], c.min, c.max, c.numBits, c.narrowRange), c.expected, 'Args');
    expectSameFloats(runPerChannel(c.inputs, [n, 1], [c.min], [c.max], c.numBits, c.narrowRange),
                     c.expected, 'PerChannel');
  });
});

// ---------------------------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------------------------

type Range = KindedRange;

/** Ranges with min < max in float32 (Args' precondition). */
const orderedRangeArb: fc.Arbitrary<Range> = fc.oneof(
    ...properRangeKinds,
    {weight: 1, arbitrary: fc.constantFrom<Range>(
                    {kind: 'doc', min: -1, max: 1}, {kind: 'doc', min: -0.75, max: 0.75},
                    {kind: 'doc', min: -0.5, max: 2.5}, {kind: 'doc', min: -10, max: 10},
                    {kind: 'doc', min: 12, max: 123}, {kind: 'doc', min: -6, max: 6},
                    {kind: 'width overflows', min: -3e38, max: 3e38},
                    {kind: 'infinite', min: -Infinity, max: 1}, {kind: 'infinite', min: -1, max: Infinity})},
).filter((r) => f32(r.min) < f32(r.max));

/** Per-channel ranges: TF does not order-check them; min == max == 0 is special-cased. */
const channelRangeArb: fc.Arbitrary<Range> = fc.oneof(
    {weight: 10, arbitrary: orderedRangeArb},
    {weight: 3, arbitrary: fc.constantFrom<Range>(
                    {kind: 'zero', min: 0, max: 0}, {kind: 'zero', min: -0, max: 0},
                    {kind: 'zero', min: 0, max: -0}, {kind: 'zero', min: -0, max: -0})},
    {weight: 1, arbitrary: finiteFloat32(-1e3, 1e3).filter((v) => v !== 0)
                               .map((v) => ({kind: 'min == max != 0', min: v, max: v}))},
    {weight: 1, arbitrary: fc.tuple(finiteFloat32(-1e3, 1e3), finiteFloat32(-1e3, 1e3)).filter(([a, b]) => a !== b)
                               .map(([a, b]) => ({kind: 'min > max', min: Math.max(a, b), max: Math.min(a, b)}))},
);

/** TF's zero point is undefined behaviour when min / scale is 0/0 (min == +-0, scale underflows). */
function zeroPointIsUndefined(r: Range, numBits: number, narrowRange: boolean): boolean {
  const min = f32(r.min);
  const max = f32(r.max);
  if (min === 0 && max === 0) return false;
  const steps = (2 ** numBits - 1) - (narrowRange ? 1 : 0);
  const scale = f32(f32(max - min) / steps);
  return min === 0 && scale === 0;
}

/** Interesting inputs for one range: bounds and neighbours, levels, ties, specials. */
function specialInputs(r: Range, numBits: number, narrowRange: boolean, seed: number): number[] {
  const vals = [NaN, Infinity, -Infinity, 0, -0, f32(r.min), f32(r.max), 1, -1, fromBits(1),
                -fromBits(1), 3.4028234663852886e38, -3.4028234663852886e38];
  if (f32(r.min) === 0 && f32(r.max) === 0) return vals;
  const n = refNudge(r.min, r.max, numBits, narrowRange);
  const steps = (2 ** numBits - 1) - (narrowRange ? 1 : 0);
  for (const b of [n.nudgedMin, n.nudgedMax, f32(r.min), f32(r.max)]) {
    if (!Number.isFinite(b)) continue;
    vals.push(b, nextUp(b), nextDown(b), nextUp(nextUp(b)), nextDown(nextDown(b)));
  }
  if (Number.isFinite(n.scale) && Number.isFinite(n.nudgedMin)) {
    const rand = mulberry32(seed ^ 0x5bd1e995);
    const ks = [0, 1, steps - 1, steps, Math.floor(steps / 2), n.quantZero, n.quantZero - 1];
    for (let i = 0; i < 6; i++) ks.push(Math.floor(rand() * (steps + 1)));
    for (const k of ks) {
      if (!Number.isFinite(k)) continue;
      const tie64 = f32(n.nudgedMin + (k + 0.5) * n.scale);
      const tie32 = f32(n.nudgedMin + f32((k + 0.5) * n.scale));
      const level = f32(n.nudgedMin + k * n.scale);
      vals.push(tie64, nextUp(tie64), nextDown(tie64), tie32, level, nextUp(level), nextDown(level));
    }
  }
  return vals.map(f32);
}

/** Inputs for channel-major data: element i belongs to ranges[i % ranges.length]. */
function fillInputs(size: number, ranges: Range[], numBits: number, narrowRange: boolean,
                    seed: number, specialRate: number): Float32Array {
  const specials = ranges.map((r, c) => specialInputs(r, numBits, narrowRange, seed + c));
  const spans = ranges.map((r) => {
    if (f32(r.min) === 0 && f32(r.max) === 0) return [-2, 2];
    const n = refNudge(r.min, r.max, numBits, narrowRange);
    const lo = Number.isFinite(n.nudgedMin) ? Math.min(n.nudgedMin, n.nudgedMax) : -10;
    const hi = Number.isFinite(n.nudgedMax) ? Math.max(n.nudgedMin, n.nudgedMax) : 10;
    const pad = Number.isFinite(hi - lo) ? (hi - lo) * 0.25 + 1e-30 : 1;
    return [lo - pad, hi + pad];
  });
  const rand = mulberry32(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const c = i % ranges.length;
    const u = rand();
    if (u < specialRate) {
      out[i] = specials[c][Math.floor(rand() * specials[c].length)];
    } else if (u < specialRate + (1 - specialRate) * 0.9) {
      const [lo, hi] = spans[c];
      out[i] = f32(lo + (hi - lo) * rand());
    } else {
      out[i] = fromBits(Math.floor(rand() * 4294967296));  // any float32, NaN payloads included
    }
  }
  return out;
}

function fillGradients(size: number, seed: number, specialRate: number): Float32Array {
  const specials = [NaN, Infinity, -Infinity, 0, -0, -1, 1, -2.5, 1e38, -1e38, fromBits(1)];
  const rand = mulberry32(seed ^ 0x27d4eb2d);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const u = rand();
    if (u < specialRate * 0.2) {
      out[i] = specials[Math.floor(rand() * specials.length)];
    } else if (u < 0.6) {
      out[i] = Math.floor(rand() * 33) - 16;
    } else if (u < 0.95) {
      out[i] = f32((rand() - 0.5) * 8);
    } else {
      out[i] = fromBits(Math.floor(rand() * 4294967296));
    }
  }
  return out;
}

interface PcCase {
  shape: number[];
  ranges: Range[];
  numBits: number;
  narrowRange: boolean;
  seed: number;
  specialRate: number;
}

const MAX_LEADING_DIM = [1, 1, 300, 40, 12, 6];  // by rank
const pcCaseArb: fc.Arbitrary<PcCase> =
    fc.record({
        rank: fc.integer({min: 1, max: 5}),
        channels: fc.integer({min: 1, max: 8}),
        numBits: fc.integer({min: 2, max: 16}),
        narrowRange: fc.boolean(),
        seed: fc.integer({min: 0, max: 0x7fffffff}),
        specialRate: fc.constantFrom(0, 0.05, 0.3, 0.7, 1),
      })
        .chain((b) => fc.record({
          leading: fc.array(
              fc.oneof({weight: 30, arbitrary: fc.integer({min: 1, max: MAX_LEADING_DIM[b.rank]})},
                       {weight: 1, arbitrary: fc.constant(0)}),
              {minLength: b.rank - 1, maxLength: b.rank - 1}),
          ranges: fc.array(channelRangeArb, {minLength: b.channels, maxLength: b.channels}),
        }).map(({leading, ranges}) => ({
                 shape: [...leading, b.channels], ranges, numBits: b.numBits,
                 narrowRange: b.narrowRange, seed: b.seed, specialRate: b.specialRate,
               })))
        .filter((c) => !c.ranges.some((r) => zeroPointIsUndefined(r, c.numBits, c.narrowRange)));

interface ArgsCase {
  shape: number[];
  range: Range;
  numBits: number;
  narrowRange: boolean;
  seed: number;
  specialRate: number;
}

const MAX_DIM_FOR_RANK = [1, 3000, 60, 14, 7];
const argsCaseArb: fc.Arbitrary<ArgsCase> =
    fc.record({
        shape: fc.integer({min: 0, max: 4}).chain((rank) => fc.array(
            fc.integer({min: 1, max: MAX_DIM_FOR_RANK[rank]}), {minLength: rank, maxLength: rank})),
        range: orderedRangeArb,
        numBits: fc.integer({min: 2, max: 16}),
        narrowRange: fc.boolean(),
        seed: fc.integer({min: 0, max: 0x7fffffff}),
        specialRate: fc.constantFrom(0, 0.05, 0.3, 0.7, 1),
      }).filter((c) => !zeroPointIsUndefined(c.range, c.numBits, c.narrowRange));

function describePc(c: PcCase): string {
  return `shape [${c.shape}] numBits ${c.numBits} narrow ${c.narrowRange} seed ${c.seed} ` +
         `specialRate ${c.specialRate} ranges ${c.ranges.map((r) => `${r.kind} [${r.min}, ${r.max}]`).join('; ')}`;
}
function describeArgs(c: ArgsCase): string {
  return `shape [${c.shape}] range ${c.range.kind} [${c.range.min}, ${c.range.max}] numBits ` +
         `${c.numBits} narrow ${c.narrowRange} seed ${c.seed} specialRate ${c.specialRate}`;
}

function withInputs(bad: string[], x: ArrayLike<number>, dy?: ArrayLike<number>): string[] {
  return bad.map((b) => {
    const m = /\[(\d+)\]/.exec(b);
    if (!m) return b;
    const i = Number(m[1]);
    return `${b} for x = ${x[i]}${dy ? `, dy = ${dy[i]}` : ''}`;
  });
}

function pcMismatches(c: PcCase): string[] {
  const size = sizeOf(c.shape);
  const mins = c.ranges.map((r) => r.min);
  const maxs = c.ranges.map((r) => r.max);
  const x = fillInputs(size, c.ranges, c.numBits, c.narrowRange, c.seed, c.specialRate);
  const dy = fillGradients(size, c.seed, c.specialRate);
  const y = runPerChannel(x, c.shape, mins, maxs, c.numBits, c.narrowRange);
  const g = runPerChannelGradient(dy, x, c.shape, mins, maxs, c.numBits, c.narrowRange);
  const ey = refFakeQuantPerChannel(x, mins, maxs, c.numBits, c.narrowRange);
  const eg = refFakeQuantPerChannelGradient(dy, x, mins, maxs, c.numBits, c.narrowRange);
  return [
    ...withInputs(mismatches(y, ey, 'out'), x),
    ...withInputs(mismatches(g.dx, eg.backpropsWrtInput, 'backpropsWrtInput'), x, dy),
    ...mismatches(g.dMin, eg.backpropWrtMin, 'backpropWrtMin'),
    ...mismatches(g.dMax, eg.backpropWrtMax, 'backpropWrtMax'),
  ];
}

function argsMismatches(c: ArgsCase): string[] {
  const size = sizeOf(c.shape);
  const {min, max} = c.range;
  const x = fillInputs(size, [c.range], c.numBits, c.narrowRange, c.seed, c.specialRate);
  const dy = fillGradients(size, c.seed, c.specialRate);
  const y = runArgs(x, c.shape, min, max, c.numBits, c.narrowRange);
  const dx = runArgsGradient(dy, x, c.shape, min, max, c.numBits, c.narrowRange);
  return [
    ...withInputs(mismatches(y, refFakeQuantArgs(x, min, max, c.numBits, c.narrowRange), 'out'), x),
    ...withInputs(mismatches(
        dx, refFakeQuantArgsGradient(dy, x, min, max, c.numBits, c.narrowRange), 'backprops'), x, dy),
  ];
}

const PC_EXAMPLES: PcCase[] = [
  // Every kind of channel side by side, rank 4.
  {shape: [2, 3, 5, 6], numBits: 8, narrowRange: false, seed: 1, specialRate: 0.5, ranges: [
    {kind: 'doc', min: -1, max: 1}, {kind: 'zero', min: 0, max: 0}, {kind: 'min > 0', min: 0.3, max: 7.1},
    {kind: 'max < 0', min: -6.6, max: -0.4}, {kind: 'zero', min: -0, max: 0},
    {kind: 'doc', min: -0.75, max: 0.75}]},
  {shape: [7], numBits: 16, narrowRange: true, seed: 2, specialRate: 1, ranges: Array.from(
       {length: 7}, (_, i) => ({kind: 'straddles 0', min: -1 - i, max: 0.5 + i}))},
  {shape: [4, 1], numBits: 2, narrowRange: false, seed: 3, specialRate: 1,
   ranges: [{kind: 'min == max != 0', min: 0.5, max: 0.5}]},
  {shape: [3, 0, 2], numBits: 8, narrowRange: false, seed: 4, specialRate: 1,
   ranges: [{kind: 'doc', min: -1, max: 1}, {kind: 'zero', min: 0, max: 0}]},
  {shape: [2, 2, 2, 2, 8], numBits: 4, narrowRange: true, seed: 5, specialRate: 0.7, ranges: Array.from(
       {length: 8}, (_, i) => i % 2 ? {kind: 'zero', min: 0, max: 0} : {kind: 'min > max', min: i, max: -i})},
];

const ARGS_EXAMPLES: ArgsCase[] = [
  {shape: [64], range: {kind: 'doc', min: -1, max: 1}, numBits: 8, narrowRange: false, seed: 1, specialRate: 1},
  {shape: [], range: {kind: 'doc', min: 12, max: 123}, numBits: 8, narrowRange: false, seed: 2, specialRate: 1},
  {shape: [5, 20], range: {kind: '1e-6 wide', min: 0.1, max: f32(0.1 + 1e-6)}, numBits: 16, narrowRange: true, seed: 3, specialRate: 0.7},
  {shape: [0, 3], range: {kind: 'doc', min: -6, max: 6}, numBits: 8, narrowRange: false, seed: 4, specialRate: 1},
  {shape: [50], range: {kind: 'width overflows', min: -3e38, max: 3e38}, numBits: 8, narrowRange: false, seed: 5, specialRate: 1},
];

describe('cpu kernels vs the float32 reference, bit for bit (properties)', () => {
  it('PerChannel forward and gradient: ranks 1..5, 1..8 channels, mixed per-channel ranges', () => {
    fc.assert(fc.property(pcCaseArb, (c) => {
      const bad = pcMismatches(c);
      if (bad.length > 0) throw new Error(`${describePc(c)}\n${bad.join('\n')}`);
    }), {numRuns: 300, examples: PC_EXAMPLES.map((e) => [e])});
  });

  it('Args forward and ArgsGradient: random min < max', () => {
    fc.assert(fc.property(argsCaseArb, (c) => {
      const bad = argsMismatches(c);
      if (bad.length > 0) throw new Error(`${describeArgs(c)}\n${bad.join('\n')}`);
    }), {numRuns: 300, examples: ARGS_EXAMPLES.map((e) => [e])});
  });

  it('every quantization tie and level, every bit width (deterministic sweep)', () => {
    const ranges: Array<[number, number]> = [[-1, 1], [-0.75, 0.75], [-0.5, 2.5], [-25, 20],
                                              [0.3, 7.1], [-6.6, -0.4], [-1e-3, 3e-3]];
    for (let numBits = 2; numBits <= 16; numBits++) {
      for (const narrowRange of [false, true]) {
        const steps = (2 ** numBits - 1) - (narrowRange ? 1 : 0);
        const d = ranges.length;
        // PerChannel: all ranges at once, one per channel, [4 * (steps + 1), d].
        const pcX = new Float32Array(4 * (steps + 1) * d);
        ranges.forEach(([min, max], c) => {
          const n = refNudge(min, max, numBits, narrowRange);
          for (let k = 0; k <= steps; k++) {
            const tie = f32(n.nudgedMin + (k + 0.5) * n.scale);
            const vals = [tie, nextDown(tie), f32(n.nudgedMin + k * n.scale), nextUp(tie)];
            vals.forEach((v, j) => {
              pcX[(4 * k + j) * d + c] = v;
            });
          }
        });
        const mins = ranges.map((r) => r[0]);
        const maxs = ranges.map((r) => r[1]);
        const label = `numBits ${numBits} narrow ${narrowRange}`;
        expect(mismatches(runPerChannel(pcX, [4 * (steps + 1), d], mins, maxs, numBits, narrowRange),
                          refFakeQuantPerChannel(pcX, mins, maxs, numBits, narrowRange),
                          `PerChannel ${label}`)).toEqual([]);
        // Args: each range on its own.
        ranges.forEach(([min, max], c) => {
          const x = pcX.filter((_, i) => i % d === c);
          expect(mismatches(runArgs(x, [x.length], min, max, numBits, narrowRange),
                            refFakeQuantArgs(x, min, max, numBits, narrowRange),
                            `Args [${min}, ${max}] ${label}`)).toEqual([]);
        });
      }
    }
  });

  it('NaN and +-Inf: forward NaN stays NaN, Inf clamps; masked Inf/NaN gradients give NaN', () => {
    // [-1, 1], 8 bits: nudged [-0.99607843, 1.0039216]. Expected values written from the
    // semantics (doc §6), not from the reference.
    const nmin = f32(-127 * f32(2 / 255));
    const nmax = f32(128 * f32(2 / 255));
    const x = [NaN, Infinity, -Infinity, 0, 5, -5];
    for (const [name, y] of [
      ['Args', runArgs(x, [6], -1, 1, 8, false)],
      ['PerChannel', runPerChannel(x, [6, 1], [-1], [1], 8, false)],
    ] as const) {
      expect({name, v: y[0]}).toEqual({name, v: NaN});
      expect(Array.from(y.slice(1))).toEqual([nmax, nmin, 0, nmax, nmin]);
    }
    const dy = [1, 2, 3, Infinity, NaN, -Infinity];
    // x: NaN (all masks 0), +Inf (above), -Inf (below), 0 (in), 5 (above), -5 (below).
    const dx = runArgsGradient(dy, x, [6], -1, 1, 8, false);
    expectSameFloats(dx, [0, 0, 0, Infinity, NaN, NaN]);
    const g = runPerChannelGradient(dy, x, [6, 1], [-1], [1], 8, false);
    expectSameFloats(g.dx, [0, 0, 0, Infinity, NaN, NaN]);
    expectSameFloats(g.dMin, [NaN]);  // 3 + (-Inf) + ... and 0 * Inf = NaN terms
    expectSameFloats(g.dMax, [NaN]);
    // Without Inf/NaN gradients the sums are plain.
    const g2 = runPerChannelGradient([1, 2, 3, 4, 5, 6], x, [6, 1], [-1], [1], 8, false);
    expectSameFloats(g2.dx, [0, 0, 0, 4, 0, 0]);
    expectSameFloats(g2.dMin, [3 + 6]);
    expectSameFloats(g2.dMax, [2 + 5]);
  });

  it('min == max == 0 channels: forward +0, gradient passes through, zero min/max grads', () => {
    const x = [-3, 0.5, 7, NaN, -0, Infinity, 2, -2];
    const dy = [1, -2, 3, 4, NaN, Infinity, 7, 8];
    // Shape [4, 2]: channel 0 is [0, 0], channel 1 is [-0, 0].
    const y = runPerChannel(x, [4, 2], [0, -0], [0, 0], 8, false);
    expectSameFloats(y, [0, 0, 0, 0, 0, 0, 0, 0]);
    for (const v of Array.from(y)) expect(Object.is(v, 0)).toBe(true);
    const g = runPerChannelGradient(dy, x, [4, 2], [0, -0], [0, 0], 8, false);
    expectSameFloats(g.dx, dy);
    expectSameFloats(g.dMin, [0, 0]);
    expectSameFloats(g.dMax, [0, 0]);
  });

  it('the generators reach the interesting regions (guards against vacuous properties)', () => {
    const pcs = fc.sample(pcCaseArb, {numRuns: 400, seed: 42});
    expect(new Set(pcs.map((c) => c.shape.length))).toEqual(new Set([1, 2, 3, 4, 5]));
    expect(new Set(pcs.map((c) => c.ranges.length))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(new Set(pcs.map((c) => c.numBits)).size).toBe(15);
    const kinds = new Set(pcs.flatMap((c) => c.ranges.map((r) => r.kind)));
    for (const k of ['zero', 'min > 0', 'max < 0', 'straddles 0', 'min == max != 0', 'min > max']) {
      expect(kinds).toContain(k);
    }
    expect(pcs.some((c) => c.ranges.some((r) => r.kind === 'zero') &&
                          c.ranges.some((r) => r.kind !== 'zero'))).toBe(true);
    const args = fc.sample(argsCaseArb, {numRuns: 400, seed: 42});
    expect(args.every((c) => f32(c.range.min) < f32(c.range.max))).toBe(true);
    expect(new Set(args.map((c) => c.numBits)).size).toBe(15);
    expect(args.some((c) => c.narrowRange) && args.some((c) => !c.narrowRange)).toBe(true);
    const argKinds = new Set(args.map((c) => c.range.kind));
    for (const k of ['min > 0', 'max < 0', 'straddles 0', '1e-6 wide']) expect(argKinds).toContain(k);
    const x = Array.from(fillInputs(3000, [{kind: 'doc', min: -1, max: 1}], 8, false, 9, 0.7));
    const n = refNudge(-1, 1, 8, false);
    expect(x.some((v) => v !== v)).toBe(true);
    expect(x).toContain(Infinity);
    expect(x).toContain(-Infinity);
    expect(x).toContain(n.nudgedMin);
    expect(x).toContain(n.nudgedMax);
    const dy = Array.from(fillGradients(3000, 9, 0.7));
    expect(dy.some((v) => v !== v)).toBe(true);
    expect(dy).toContain(Infinity);
    expect(dy).toContain(-Infinity);
  });
});

// ---------------------------------------------------------------------------------------------
// Gradient routing
// ---------------------------------------------------------------------------------------------

describe('tf.grads through fakeQuantWithMinMaxVarsPerChannel', () => {
  const setups = [
    {label: 'rank 2 [40, 4], 8 bits, mixed ranges', shape: [40, 4], min: [-1, 0, 0.3, -3],
     max: [1, 0, 1.7, -1], numBits: 8, narrowRange: false},
    {label: 'rank 4 [2, 3, 5, 3], 4 bits narrow', shape: [2, 3, 5, 3], min: [-0.5, -2, 0],
     max: [2.5, 2, 0], numBits: 4, narrowRange: true},
    {label: 'rank 1 [6], 16 bits', shape: [6], min: [-1, -2, -3, 1, -0.1, 0],
     max: [1, 2, -1, 3, 0.1, 0], numBits: 16, narrowRange: false},
  ];
  for (const s of setups) {
    it(`${s.label}: equals the PerChannelGradient op and the reference`, () => {
      const n = sizeOf(s.shape);
      const d = s.min.length;
      const x = uniform(n, -4, 4, 5);
      // Put the nudged bounds of each channel in the data (inclusive / strict masks).
      for (let c = 0; c < d && 2 * d + c < n; c++) {
        if (s.min[c] === 0 && s.max[c] === 0) continue;
        const nr = refNudge(s.min[c], s.max[c], s.numBits, s.narrowRange);
        x[c] = nr.nudgedMin;
        x[d + c] = nr.nudgedMax;
      }
      const r = mulberry32(6);
      const w = Float32Array.from({length: n}, () => (Math.floor(r() * 17) - 8) / 4 || 0.25);
      const xt = tf.tensor(x, s.shape);
      const wt = tf.tensor(w, s.shape);
      const mint = tf.tensor1d(s.min);
      const maxt = tf.tensor1d(s.max);
      const before = tf.memory().numTensors;
      const [gx, gmin, gmax] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.mul(fakeQuantWithMinMaxVarsPerChannel(a, b as tf.Tensor1D, c as tf.Tensor1D, s.numBits,
                                                   s.narrowRange), wt).sum())([xt, mint, maxt]);
      expect(tf.memory().numTensors).toBe(before + 3);
      expect(gx.shape).toEqual(s.shape);
      expect(gmin.shape).toEqual([d]);
      expect(gmax.shape).toEqual([d]);

      const e = refFakeQuantPerChannelGradient(w, x, s.min, s.max, s.numBits, s.narrowRange);
      expectSameFloats(gx.dataSync(), e.backpropsWrtInput, 'dx');
      expectSameFloats(gmin.dataSync(), e.backpropWrtMin, 'dmin');
      expectSameFloats(gmax.dataSync(), e.backpropWrtMax, 'dmax');
      const op = fakeQuantWithMinMaxVarsPerChannelGradient(wt, xt, mint, maxt, s.numBits, s.narrowRange);
      expectSameFloats(gx.dataSync(), op.backpropsWrtInput.dataSync(), 'dx vs op');
      expectSameFloats(gmin.dataSync(), op.backpropWrtMin.dataSync(), 'dmin vs op');
      expectSameFloats(gmax.dataSync(), op.backpropWrtMax.dataSync(), 'dmax vs op');
      // Not vacuous: some channel has non-zero min and max gradients, some inputs are masked.
      expect(Array.from(e.backpropWrtMin).some((v) => v !== 0)).toBe(true);
      expect(Array.from(e.backpropWrtMax).some((v) => v !== 0)).toBe(true);
      expect(Array.from(e.backpropsWrtInput).some((v, i) => v === 0 && w[i] !== 0)).toBe(true);
      tf.dispose([gx, gmin, gmax, xt, wt, mint, maxt, ...Object.values(op)]);
    });
  }

  it('tf.grads with the default upstream gradient (ones) and TF\'s Dim2 case', () => {
    const c = PC_GRADIENT.find((k) => k.name === 'WithVarsPerChannelDim2GradientNudgedDown_RegularRange')!;
    const xt = tf.tensor(c.inputs, c.shape);
    const mint = tf.tensor1d(arrayOf(c.min, 'min'));
    const maxt = tf.tensor1d(arrayOf(c.max, 'max'));
    const dyt = tf.tensor(c.gradients, c.shape);
    const [gx, gmin, gmax] = tf.grads((a: tf.Tensor, b: tf.Tensor, m: tf.Tensor) =>
        fakeQuantWithMinMaxVarsPerChannel(a, b as tf.Tensor1D, m as tf.Tensor1D, c.numBits,
                                          c.narrowRange))([xt, mint, maxt], dyt);
    expectSameFloats(gx.dataSync(), c.expectedBackprops);
    expectSameFloats(gmin.dataSync(), arrayOf(c.expectedWrtMin!, 'min'));
    expectSameFloats(gmax.dataSync(), arrayOf(c.expectedWrtMax!, 'max'));
    tf.dispose([gx, gmin, gmax, xt, mint, maxt, dyt]);
  });

  it('tf.variableGrads with per-channel Variable min/max', () => {
    const x = uniform(90, -3, 3, 31);
    const w = uniform(90, -2, 2, 32);
    const xt = tf.tensor2d(x, [30, 3]);
    const wt = tf.tensor2d(w, [30, 3]);
    const min = tf.variable(tf.tensor1d([-1.2, -0.5, 0.2]), true, 'pc_vg_min');
    const max = tf.variable(tf.tensor1d([0.9, 2.5, 1.1]), true, 'pc_vg_max');
    const {value, grads} = tf.variableGrads(
        () => tf.mul(fakeQuantWithMinMaxVarsPerChannel(xt, min, max, 6), wt).sum() as tf.Scalar,
        [min, max]);
    const e = refFakeQuantPerChannelGradient(w, x, [-1.2, -0.5, 0.2], [0.9, 2.5, 1.1], 6);
    expectSameFloats(grads['pc_vg_min'].dataSync(), e.backpropWrtMin);
    expectSameFloats(grads['pc_vg_max'].dataSync(), e.backpropWrtMax);
    tf.dispose([value, ...Object.values(grads), xt, wt, min, max]);
  });
});

describe('tf.grad through fakeQuantWithMinMaxArgs', () => {
  const setups = [
    {label: '8 bits [-1, 1]', min: -1, max: 1, numBits: 8, narrowRange: false, shape: [50]},
    {label: '4 bits narrow [-0.5, 2.5], rank 3', min: -0.5, max: 2.5, numBits: 4, narrowRange: true,
     shape: [2, 5, 6]},
    {label: '2 bits [0.3, 1.7] (min > 0)', min: 0.3, max: 1.7, numBits: 2, narrowRange: false,
     shape: [40]},
    {label: '16 bits [-3, -1] (max < 0)', min: -3, max: -1, numBits: 16, narrowRange: false,
     shape: [33]},
  ];
  for (const s of setups) {
    it(`${s.label}: equals the ArgsGradient op and the reference`, () => {
      const n = sizeOf(s.shape);
      const width = s.max - s.min;
      const x = uniform(n, s.min - 0.6 * width, s.max + 0.6 * width, 8);
      const nr = refNudge(s.min, s.max, s.numBits, s.narrowRange);
      x[0] = nr.nudgedMin;
      x[1] = nr.nudgedMax;
      x[2] = nextDown(nr.nudgedMin);
      x[3] = nextUp(nr.nudgedMax);
      const r = mulberry32(9);
      const w = Float32Array.from({length: n}, () => (Math.floor(r() * 17) - 8) / 4 || 0.25);
      const xt = tf.tensor(x, s.shape);
      const wt = tf.tensor(w, s.shape);
      const before = tf.memory().numTensors;
      const gx = tf.grad((a: tf.Tensor) =>
          tf.mul(fakeQuantWithMinMaxArgs(a, s.min, s.max, s.numBits, s.narrowRange), wt).sum())(xt);
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(gx.shape).toEqual(s.shape);
      const e = refFakeQuantArgsGradient(w, x, s.min, s.max, s.numBits, s.narrowRange);
      expectSameFloats(gx.dataSync(), e, 'dx');
      const op = fakeQuantWithMinMaxArgsGradient(wt, xt, s.min, s.max, s.numBits, s.narrowRange);
      expectSameFloats(gx.dataSync(), op.dataSync(), 'dx vs op');
      expect(gx.dataSync()[0]).toBe(w[0]);
      expect(gx.dataSync()[1]).toBe(w[1]);
      // Masked: +0 or -0 (TF multiplies the gradient by a 0 mask; w may be negative).
      expect(gx.dataSync()[2] === 0).toBe(true);
      expect(gx.dataSync()[3] === 0).toBe(true);
      tf.dispose([gx, xt, wt, op]);
    });
  }

  it('the attrs reach the gradient (a default-attr gradient would differ here)', () => {
    // 4 bits narrow [-0.5, 2.5] nudges to [-0.4286, 2.5714]; 8 bits to [-0.5059, 2.4941]:
    // 2.52 is in range only with the op's attrs, -0.45 only with the defaults.
    const x = [2.52, -0.45, 0, -0.6];
    const gx = tf.grad((a: tf.Tensor) => fakeQuantWithMinMaxArgs(a, -0.5, 2.5, 4, true).sum())(
        tf.tensor1d(x));
    const e = refFakeQuantArgsGradient([1, 1, 1, 1], x, -0.5, 2.5, 4, true);
    expectSameFloats(gx.dataSync(), e);
    expectSameFloats(gx.dataSync(), [1, 0, 1, 0]);
    expect(Array.from(e)).not.toEqual(Array.from(refFakeQuantArgsGradient([1, 1, 1, 1], x, -0.5, 2.5)));
    gx.dispose();
  });
});

describe('the gradient kernel runs exactly once per backward pass', () => {
  it('PerChannel: tf.grads wrt (inputs, min, max) runs one forward and one gradient kernel', async () => {
    const x = tf.tensor2d(uniform(64, -3, 3, 11), [16, 4]);
    const w = tf.tensor2d(uniform(64, -2, 2, 12), [16, 4]);
    const min = tf.tensor1d([-1, -2, 0, 0.5]);
    const max = tf.tensor1d([1, 2, 0, 3]);
    await withKernelCounts(
        [FakeQuantWithMinMaxVarsPerChannel, FakeQuantWithMinMaxVarsPerChannelGradient], (counts) => {
          const gs = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
              tf.mul(fakeQuantWithMinMaxVarsPerChannel(a, b as tf.Tensor1D, c as tf.Tensor1D), w)
                  .sum())([x, min, max]);
          expect(counts[FakeQuantWithMinMaxVarsPerChannel]).toBe(1);
          expect(counts[FakeQuantWithMinMaxVarsPerChannelGradient]).toBe(1);
          tf.dispose(gs);
          // wrt inputs only: still once.
          const gx = tf.grad((a: tf.Tensor) =>
              fakeQuantWithMinMaxVarsPerChannel(a, min, max).square().sum())(x);
          expect(counts[FakeQuantWithMinMaxVarsPerChannelGradient]).toBe(2);
          gx.dispose();
        });
    tf.dispose([x, w, min, max]);
  });

  it('Args: tf.grad runs one forward and one gradient kernel', async () => {
    const x = tf.tensor1d(uniform(64, -3, 3, 13));
    await withKernelCounts([FakeQuantWithMinMaxArgs, FakeQuantWithMinMaxArgsGradient], (counts) => {
      const gx = tf.grad((a: tf.Tensor) => fakeQuantWithMinMaxArgs(a, -1, 1).square().sum())(x);
      expect(counts[FakeQuantWithMinMaxArgs]).toBe(1);
      expect(counts[FakeQuantWithMinMaxArgsGradient]).toBe(1);
      gx.dispose();
    });
    x.dispose();
  });

  it('tf.profile lists each gradient kernel once', async () => {
    const x = tf.tensor2d(uniform(32, -3, 3, 14), [8, 4]);
    const min = tf.tensor1d([-1, -1, -2, 0]);
    const max = tf.tensor1d([1, 2, 2, 0]);
    const info = await tf.profile(() => {
      const gs = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          fakeQuantWithMinMaxVarsPerChannel(fakeQuantWithMinMaxArgs(a, -2, 2), b as tf.Tensor1D,
                                            c as tf.Tensor1D).sum())([x, min, max]);
      tf.dispose(gs);
    });
    const names = info.kernels.map((k) => k.name);
    for (const k of [FakeQuantWithMinMaxArgs, FakeQuantWithMinMaxArgsGradient,
                     FakeQuantWithMinMaxVarsPerChannel, FakeQuantWithMinMaxVarsPerChannelGradient]) {
      expect({k, n: names.filter((n) => n === k).length}).toEqual({k, n: 1});
    }
    tf.dispose([x, min, max]);
  });
});

// ---------------------------------------------------------------------------------------------
// Chained methods
// ---------------------------------------------------------------------------------------------

describe('chained tensor methods', () => {
  const X = [-3.2, -1, -0.51, -0.2, 0, 0.123, 0.5, 0.77, 1.01, 2.6, 3.3, -2.2];

  it('x.fakeQuantWithMinMaxArgs equals the op and the reference (defaults and explicit attrs)', () => {
    const x = tf.tensor2d(X, [3, 4]);
    const before = tf.memory().numTensors;
    const a = x.fakeQuantWithMinMaxArgs();
    const b = x.fakeQuantWithMinMaxArgs(-0.5, 2.5, 4, true);
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(a.shape).toEqual([3, 4]);
    expectSameFloats(a.dataSync(), refFakeQuantArgs(X, -6, 6, 8, false), 'defaults');
    expectSameFloats(b.dataSync(), refFakeQuantArgs(X, -0.5, 2.5, 4, true), 'explicit');
    const op = fakeQuantWithMinMaxArgs(x, -0.5, 2.5, 4, true);
    expectSameFloats(b.dataSync(), op.dataSync(), 'vs op');
    tf.dispose([x, a, b, op]);
  });

  it('x.fakeQuantWithMinMaxVarsPerChannel equals the op and the reference', () => {
    const x = tf.tensor2d(X, [3, 4]);
    const mins = [-1, 0, 0.3, -3];
    const maxs = [1, 0, 1.7, -0.5];
    const before = tf.memory().numTensors;
    const a = x.fakeQuantWithMinMaxVarsPerChannel(mins, maxs);
    const b = x.fakeQuantWithMinMaxVarsPerChannel(tf.tensor1d(mins), tf.tensor1d(maxs), 5, true);
    // b's min/max tensors are the caller's; count them.
    expect(tf.memory().numTensors).toBe(before + 4);
    expectSameFloats(a.dataSync(), refFakeQuantPerChannel(X, mins, maxs, 8, false), 'defaults');
    expectSameFloats(b.dataSync(), refFakeQuantPerChannel(X, mins, maxs, 5, true), 'explicit');
    const op = fakeQuantWithMinMaxVarsPerChannel(x, mins, maxs, 5, true);
    expectSameFloats(b.dataSync(), op.dataSync(), 'vs op');
    tf.dispose([x, a, b, op]);
  });

  it('x.fakeQuantWithMinMaxVars equals the reference', () => {
    const x = tf.tensor1d(X);
    const y = x.fakeQuantWithMinMaxVars(-1, 1, 3, true);
    expectSameFloats(y.dataSync(), refFakeQuantVars(X, -1, 1, 3, true));
    tf.dispose([x, y]);
  });

  it('chained methods are differentiable like the ops', () => {
    const x = tf.tensor2d(X, [3, 4]);
    const gx = tf.grad((a: tf.Tensor) =>
        a.fakeQuantWithMinMaxVarsPerChannel([-1, -2, 0, 0.5], [1, 2, 0, 3])
            .fakeQuantWithMinMaxArgs(-1.5, 1.5).sum())(x);
    const pcIn = refFakeQuantPerChannel(X, [-1, -2, 0, 0.5], [1, 2, 0, 3]);
    const gArgs = refFakeQuantArgsGradient(X.map(() => 1), pcIn, -1.5, 1.5);
    const e = refFakeQuantPerChannelGradient(gArgs, X, [-1, -2, 0, 0.5], [1, 2, 0, 3]);
    expectSameFloats(gx.dataSync(), e.backpropsWrtInput);
    tf.dispose([x, gx]);
  });

  it('throw on a disposed tensor', () => {
    const x = tf.tensor1d([1, 2]);
    x.dispose();
    expect(() => x.fakeQuantWithMinMaxArgs()).toThrow(/disposed/);
    expect(() => x.fakeQuantWithMinMaxVarsPerChannel([0, 0], [1, 1])).toThrow(/disposed/);
  });
});

// ---------------------------------------------------------------------------------------------
// Errors and memory
// ---------------------------------------------------------------------------------------------

describe('argument errors name the argument and leave no tensor behind', () => {
  const X4 = [-1.5, -0.5, 0.25, 1.5];
  let x: tf.Tensor;
  let dy: tf.Tensor;
  let x2: tf.Tensor;
  let dy2: tf.Tensor;
  let mn: tf.Tensor1D;
  let mx: tf.Tensor1D;
  beforeEach(() => {
    x = tf.tensor1d(X4);
    dy = tf.tensor1d([1, 2, 3, 4]);
    x2 = tf.tensor2d(X4.concat(X4), [2, 4]);
    dy2 = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
    mn = tf.tensor1d([-1, -1, 0, 0]);
    mx = tf.tensor1d([1, 2, 0, 1]);
  });
  afterEach(() => tf.dispose([x, dy, x2, dy2, mn, mx]));

  for (const numBits of [1, 17, 0, 2.5, NaN]) {
    it(`numBits ${numBits} is rejected by all four ops`, () => {
      expectThrowsNoLeak(() => fqArgs(x, -1, 1, numBits), /`numBits`/, /fakeQuantWithMinMaxArgs/);
      expectThrowsNoLeak(() => fqArgs(X4, -1, 1, numBits), /`numBits`/);
      expectThrowsNoLeak(() => fqArgsGrad(dy, x, -1, 1, numBits), /`numBits`/,
                         /fakeQuantWithMinMaxArgsGradient/);
      expectThrowsNoLeak(() => fqPc(x2, mn, mx, numBits), /`numBits`/,
                         /fakeQuantWithMinMaxVarsPerChannel/);
      expectThrowsNoLeak(() => fqPc(X4, [-1, -1, 0, 0], [1, 2, 0, 1], numBits), /`numBits`/);
      expectThrowsNoLeak(() => fqPcGrad(dy2, x2, mn, mx, numBits), /`numBits`/,
                         /fakeQuantWithMinMaxVarsPerChannelGradient/);
    });
  }

  it('numBits 2 and 16 are accepted (and match the reference)', () => {
    for (const numBits of [2, 16]) {
      const before = tf.memory().numTensors;
      const a = fakeQuantWithMinMaxArgs(x, -1, 1, numBits);
      const p = fakeQuantWithMinMaxVarsPerChannel(x2, mn, mx, numBits);
      expectSameFloats(a.dataSync(), refFakeQuantArgs(X4, -1, 1, numBits));
      expectSameFloats(p.dataSync(), refFakeQuantPerChannel(X4.concat(X4), [-1, -1, 0, 0], [1, 2, 0, 1], numBits));
      tf.dispose([a, p]);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  const badArgsRanges: Array<[string, number, number]> = [
    ['min > max', 1, -1], ['min == max', 0.5, 0.5], ['min == max == 0', 0, 0],
    ['min == -0, max == 0', -0, 0], ['min > max, both negative', -1, -2],
  ];
  for (const [label, min, max] of badArgsRanges) {
    it(`Args rejects ${label} (forward and gradient, Tensor and TensorLike inputs)`, () => {
      expectThrowsNoLeak(() => fqArgs(x, min, max), /`min`/, /`max`/, /smaller/);
      expectThrowsNoLeak(() => fqArgs(X4, min, max), /`min`/, /`max`/);
      expectThrowsNoLeak(() => fqArgsGrad(dy, x, min, max), /`min`/, /`max`/);
      expectThrowsNoLeak(() => fqArgsGrad([1, 2, 3, 4], X4, min, max), /`min`/, /`max`/);
      expectThrowsNoLeak(() => x.fakeQuantWithMinMaxArgs(min, max), /`min`/, /`max`/);
    });
  }

  it('Args rejects min/max that are equal as float32 (TF\'s attrs are float)', () => {
    // TF stores the attrs as float: 1 + 1e-9 and 1 + 2e-9 are both 1.0f, so TF's
    // "min has to be smaller than max" check fails.
    expect(f32(1 + 1e-9)).toBe(f32(1 + 2e-9));
    expectThrowsNoLeak(() => fqArgs(x, 1 + 1e-9, 1 + 2e-9), /`min`/, /`max`/);
    expectThrowsNoLeak(() => fqArgsGrad(dy, x, 1 + 1e-9, 1 + 2e-9), /`min`/, /`max`/);
    // -1e-46 and 1e-46 are -0 and +0 as float32: -0 < +0 is false in TF too.
    expect(Object.is(f32(-1e-46), -0) && Object.is(f32(1e-46), 0)).toBe(true);
    expectThrowsNoLeak(() => fqArgs(x, -1e-46, 1e-46), /`min`/, /`max`/);
  });

  it('PerChannel rejects a scalar input (forward and gradient)', () => {
    const s = tf.scalar(0.5);
    expectThrowsNoLeak(() => fqPc(s, [-1], [1]), /`inputs`/, /rank 1/);
    expectThrowsNoLeak(() => fqPc(0.5, [-1], [1]), /`inputs`/, /rank 1/);
    expectThrowsNoLeak(() => fqPcGrad(s, s, [-1], [1]), /`inputs`/, /rank 1/);
    const m = tf.tensor1d([-1]);
    expectThrowsNoLeak(() => fqPcGrad(1, 0.5, m, [1]), /`inputs`/);
    tf.dispose([s, m]);
  });

  const badRanges: Array<[string, () => unknown]> = [
    ['rank 0 (tf.scalar)', () => tf.scalar(1)],
    ['rank 0 (number)', () => 1],
    ['rank 2 [1, 4]', () => tf.tensor2d([[1, 1, 1, 1]])],
    ['rank 2 [4, 1] (TensorLike)', () => [[1], [1], [1], [1]]],
    ['wrong size [3]', () => tf.tensor1d([1, 1, 1])],
    ['wrong size [5] (TensorLike)', () => [1, 1, 1, 1, 1]],
    ['wrong size [1] (no broadcasting)', () => tf.tensor1d([1])],
  ];
  for (const [label, make] of badRanges) {
    for (const which of ['min', 'max'] as const) {
      it(`PerChannel rejects ${which} of ${label}`, () => {
        const v = make();
        const args = (good: tf.Tensor|number[]) => (which === 'min' ? [v, good] : [good, v]);
        const [a, b] = which === 'min' ? [v, mx] : [mn, v];
        expectThrowsNoLeak(() => fqPc(x2, a, b), new RegExp('`' + which + '`'));
        expectThrowsNoLeak(() => fqPc(x2.arraySync(), ...args([1, 2, 0, 1])),
                           new RegExp('`' + which + '`'));
        expectThrowsNoLeak(() => fqPcGrad(dy2, x2, a, b), new RegExp('`' + which + '`'));
        expectThrowsNoLeak(() => fqPcGrad(dy2.arraySync(), x2.arraySync(), a, b),
                           new RegExp('`' + which + '`'));
        if (v instanceof tf.Tensor) v.dispose();
      });
    }
  }

  const shapePairs: Array<[string, number[], number[]]> = [
    ['[4] vs [3]', [4], [3]],
    ['[2, 4] vs [8]', [2, 4], [8]],
    ['[2, 4] vs [4, 2] (same size)', [2, 4], [4, 2]],
    ['[1, 4] vs [4]', [1, 4], [4]],
    ['[4] vs [2, 4] (no broadcasting)', [4], [2, 4]],
  ];
  for (const [label, gShape, xShape] of shapePairs) {
    it(`gradients/inputs shape mismatch ${label} is rejected by both gradient ops`, () => {
      const g = tf.ones(gShape);
      const xi = tf.zeros(xShape);
      const channels = xShape[xShape.length - 1];
      const mins = Array(channels).fill(-1);
      const maxs = Array(channels).fill(1);
      expectThrowsNoLeak(() => fqArgsGrad(g, xi, -1, 1), /`gradients`/, /`inputs`/);
      expectThrowsNoLeak(() => fqArgsGrad(g.arraySync(), xi.arraySync(), -1, 1), /`gradients`/,
                         /`inputs`/);
      expectThrowsNoLeak(() => fqPcGrad(g, xi, mins, maxs), /`gradients`/, /`inputs`/);
      expectThrowsNoLeak(() => fqPcGrad(g.arraySync(), xi.arraySync(), mins, maxs), /`gradients`/,
                         /`inputs`/);
      tf.dispose([g, xi]);
    });
  }

  it('null / missing arguments name the argument', () => {
    expectThrowsNoLeak(() => fqArgs(null), /`inputs`/);
    expectThrowsNoLeak(() => fqArgsGrad(null, x), /`gradients`/);
    expectThrowsNoLeak(() => fqArgsGrad(dy, undefined), /`inputs`/);
    expectThrowsNoLeak(() => fqPc(x2, null, mx), /`min`/);
    expectThrowsNoLeak(() => fqPc(x2, mn), /`max`/);
    expectThrowsNoLeak(() => fqPcGrad(dy2, x2, mn, undefined), /`max`/);
  });

  it('string inputs are rejected, naming the argument', () => {
    const s = tf.tensor1d(['a', 'b', 'c', 'd']);
    expectThrowsNoLeak(() => fqArgs(s), /`inputs`/, /string/);
    expectThrowsNoLeak(() => fqArgsGrad(s, x), /`gradients`/, /string/);
    expectThrowsNoLeak(() => fqPc(s, mn, mx), /`inputs`/, /string/);
    expectThrowsNoLeak(() => fqPcGrad(dy, x, s, mx), /`min`/, /string/);
    s.dispose();
  });
});

describe('successful calls leave only their outputs', () => {
  const X = [-1.5, -1, -0.5, 0, 0.25, 0.5, 1, 1.5];

  it('Args forward / gradient with Tensor and TensorLike arguments', () => {
    const x = tf.tensor1d(X);
    const before = tf.memory().numTensors;
    tf.dispose(fakeQuantWithMinMaxArgs(x, -1, 1));
    tf.dispose(fakeQuantWithMinMaxArgs(X, -1, 1));
    tf.dispose(fakeQuantWithMinMaxArgsGradient(x, x, -1, 1));
    tf.dispose(fakeQuantWithMinMaxArgsGradient(X, X, -1, 1));
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('PerChannel forward / gradient with Tensor, TensorLike and int32 arguments', () => {
    const x = tf.tensor2d(X, [2, 4]);
    const mn = tf.tensor1d([-1, -1, 0, 0.2]);
    const mx = tf.tensor1d([1, 2, 0, 1]);
    const mi = tf.tensor1d([-1, -1, 0, 0], 'int32');
    const before = tf.memory().numTensors;
    tf.dispose(fakeQuantWithMinMaxVarsPerChannel(x, mn, mx));
    tf.dispose(fakeQuantWithMinMaxVarsPerChannel(x.arraySync(), [-1, -1, 0, 0.2], [1, 2, 0, 1]));
    const yi = fakeQuantWithMinMaxVarsPerChannel(x, mi, mx);
    expect(tf.memory().numTensors).toBe(before + 1);  // the int32 -> float32 cast is not kept
    expectSameFloats(yi.dataSync(), refFakeQuantPerChannel(X, [-1, -1, 0, 0], [1, 2, 0, 1]));
    yi.dispose();
    tf.dispose(Object.values(fakeQuantWithMinMaxVarsPerChannelGradient(x, x, mn, mx)));
    tf.dispose(Object.values(fakeQuantWithMinMaxVarsPerChannelGradient(
        x.arraySync(), x.arraySync(), [-1, -1, 0, 0.2], [1, 2, 0, 1])));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, mn, mx, mi]);
  });

  it('tf.grads / tf.grad leave only the gradients', () => {
    const x = tf.tensor2d(X, [2, 4]);
    const mn = tf.tensor1d([-1, -1, 0, 0.2]);
    const mx = tf.tensor1d([1, 2, 0, 1]);
    const before = tf.memory().numTensors;
    const gs = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        fakeQuantWithMinMaxVarsPerChannel(a, b as tf.Tensor1D, c as tf.Tensor1D))([x, mn, mx]);
    expect(tf.memory().numTensors).toBe(before + 3);
    tf.dispose(gs);
    const gx = tf.grad((a: tf.Tensor) => fakeQuantWithMinMaxArgs(a, -1, 1))(x);
    expect(tf.memory().numTensors).toBe(before + 1);
    gx.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, mn, mx]);
  });

  it('tf.tidy around many calls leaves nothing', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      for (let i = 0; i < 5; i++) {
        fakeQuantWithMinMaxArgs(X, -i - 1, i + 1, 2 + i);
        fakeQuantWithMinMaxArgsGradient(X, X, -i - 1, i + 1);
        fakeQuantWithMinMaxVarsPerChannel([X], X.map(() => -i), X.map(() => i));
        fakeQuantWithMinMaxVarsPerChannelGradient([X], [X], X.map(() => -i), X.map(() => i));
      }
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
