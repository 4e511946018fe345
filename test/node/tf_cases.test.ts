/**
 * TensorFlow's own test cases for FakeQuantWithMinMaxVars / ...VarsGradient (fake_quant_ops_test.cc,
 * the XLA test parameter sets and outputs quoted in docs and issues), run through the package's
 * public ops on the cpu backend:
 *   - forward within TF's tolerance (test::ExpectClose: |a - e| <= 5 eps (1 + |e|)), exact
 *     (Object.is) for the atol = rtol = 0 cases, and bit for bit equal to the independent reference;
 *   - gradients exactly (upstream gradients are small integers, so every sum is exact).
 */
import * as tf from '@tensorflow/tfjs';

import {fakeQuantWithMinMaxVars, fakeQuantWithMinMaxVarsGradient, nudge, quantRange} from '../../src';
import {refFakeQuantVars, refFakeQuantVarsGradient, refNudge} from '../shared/reference';
import {DOC_CASES, TF_FORWARD_CASES, TF_GRADIENT_CASES, type TfForwardCase, type TfGradientCase, XLA_CASES} from '../shared/tf_cases';

const FLT_EPSILON = 2 ** -23;
const TF_TOL = 5 * FLT_EPSILON;

function scalarOf(v: number|number[], what: string): number {
  if (typeof v !== 'number') throw new Error(`a Vars case must have a scalar ${what}`);
  return v;
}

/** Per-element Object.is (NaN == NaN, -0 != +0). */
function sameFloatsReport(actual: ArrayLike<number>, expected: ArrayLike<number>): string[] {
  const bad: string[] = [];
  if (actual.length !== expected.length) return [`length ${actual.length} != ${expected.length}`];
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) bad.push(`[${i}] got ${actual[i]} want ${expected[i]}`);
  }
  return bad;
}

/** TF's test::ExpectClose with atol = rtol = 5 * FLT_EPSILON (tensor_testutil.cc). */
function tfCloseReport(actual: ArrayLike<number>, expected: ArrayLike<number>): string[] {
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const e = Math.fround(expected[i]);
    const a = actual[i];
    if (!(Math.abs(a - e) <= TF_TOL + TF_TOL * Math.abs(e))) {
      bad.push(`[${i}] got ${a} want ${e} (|diff| ${Math.abs(a - e)})`);
    }
  }
  return bad;
}

function runForward(c: {inputs: number[]; shape: number[]; min: number|number[]; max: number|number[];
                        numBits: number; narrowRange: boolean}): Float32Array {
  const x = tf.tensor(c.inputs, c.shape, 'float32');
  const y = fakeQuantWithMinMaxVars(
      x, scalarOf(c.min, 'min'), scalarOf(c.max, 'max'), c.numBits, c.narrowRange);
  expect(y.shape).toEqual(c.shape);
  expect(y.dtype).toBe('float32');
  const values = y.dataSync() as Float32Array;
  tf.dispose([x, y]);
  return values;
}

function checkForward(c: TfForwardCase): void {
  expect(c.inputs.length).toBe(c.expected.length);
  expect(c.shape.reduce((a, b) => a * b, 1)).toBe(c.inputs.length);
  const actual = runForward(c);
  const min = scalarOf(c.min, 'min');
  const max = scalarOf(c.max, 'max');
  // TF's expectation.
  expect(tfCloseReport(actual, c.expected)).toEqual([]);
  if (c.exact) {
    expect(sameFloatsReport(actual, Float32Array.from(c.expected))).toEqual([]);
  }
  // The independent float32 reference of TF's current kernel, bit for bit.
  expect(sameFloatsReport(actual, refFakeQuantVars(c.inputs, min, max, c.numBits, c.narrowRange)))
      .toEqual([]);
}

function checkGradient(c: TfGradientCase): void {
  const min = scalarOf(c.min, 'min');
  const max = scalarOf(c.max, 'max');
  const g = tf.tensor(c.gradients, c.shape);
  const x = tf.tensor(c.inputs, c.shape);
  const r = fakeQuantWithMinMaxVarsGradient(g, x, min, max, c.numBits, c.narrowRange);
  expect(r.backpropsWrtInput.shape).toEqual(c.shape);
  expect(r.backpropWrtMin.shape).toEqual([]);
  expect(r.backpropWrtMax.shape).toEqual([]);
  const dx = r.backpropsWrtInput.dataSync();
  const dMin = r.backpropWrtMin.dataSync()[0];
  const dMax = r.backpropWrtMax.dataSync()[0];
  tf.dispose([g, x, r.backpropsWrtInput, r.backpropWrtMin, r.backpropWrtMax]);

  // TF's expectation, exactly (the gradients are positive, so masked elements are +0).
  expect(sameFloatsReport(dx, c.expectedBackprops)).toEqual([]);
  expect(c.expectedWrtMin).toBeDefined();
  expect(c.expectedWrtMax).toBeDefined();
  expect(dMin).toBe(scalarOf(c.expectedWrtMin!, 'expectedWrtMin'));
  expect(dMax).toBe(scalarOf(c.expectedWrtMax!, 'expectedWrtMax'));
  // And the reference.
  const e = refFakeQuantVarsGradient(c.gradients, c.inputs, min, max, c.numBits, c.narrowRange);
  expect(sameFloatsReport(dx, e.backpropsWrtInput)).toEqual([]);
  expect(Object.is(dMin, e.backpropWrtMin)).toBe(true);
  expect(Object.is(dMax, e.backpropWrtMax)).toBe(true);
}

const VARS_FORWARD = TF_FORWARD_CASES.filter((c) => c.op === 'Vars');
const VARS_GRADIENT = TF_GRADIENT_CASES.filter((c) => c.op === 'Vars');
const VARS_DOC = DOC_CASES.filter((c) => c.op === 'Vars');

describe('case tables', () => {
  it('hold every Vars test of fake_quant_ops_test.cc (19 forward, 5 gradient)', () => {
    expect(VARS_FORWARD).toHaveLength(19);
    expect(VARS_GRADIENT).toHaveLength(5);
    expect(XLA_CASES).toHaveLength(16);
    expect(VARS_DOC.length).toBeGreaterThan(0);
    expect(VARS_FORWARD.some((c) => c.exact)).toBe(true);
  });
});

describe('fake_quant_ops_test.cc: FakeQuantWithMinMaxVars', () => {
  for (const c of VARS_FORWARD) {
    it(c.name, () => checkForward(c));
  }
});

describe('fake_quant_ops_test.cc: FakeQuantWithMinMaxVarsGradient', () => {
  for (const c of VARS_GRADIENT) {
    it(c.name, () => checkGradient(c));
  }

  for (const c of VARS_GRADIENT) {
    it(`${c.name}: tf.grads through the forward op gives the same numbers`, () => {
      const min = tf.scalar(scalarOf(c.min, 'min'));
      const max = tf.scalar(scalarOf(c.max, 'max'));
      const x = tf.tensor(c.inputs, c.shape);
      const dy = tf.tensor(c.gradients, c.shape);
      const [gx, gmin, gmax] = tf.grads((a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) =>
          fakeQuantWithMinMaxVars(a, b as tf.Scalar, d as tf.Scalar, c.numBits, c.narrowRange))(
          [x, min, max], dy);
      expect(sameFloatsReport(gx.dataSync(), c.expectedBackprops)).toEqual([]);
      expect(gmin.dataSync()[0]).toBe(c.expectedWrtMin);
      expect(gmax.dataSync()[0]).toBe(c.expectedWrtMax);
      tf.dispose([gx, gmin, gmax, min, max, x, dy]);
    });
  }
});

describe('docs and issues: FakeQuantWithMinMaxVars', () => {
  for (const c of VARS_DOC) {
    it(`${c.name}${c.legacyBits ? ' (legacy-formula bits: tolerance only)' : ''}`, () => {
      if (c.knownDifference) throw new Error(`unexpected knownDifference: ${c.knownDifference}`);
      checkForward(c);
    });
  }

  it('model-optimization#858: the current kernel gives 1.0039216 for the last element', () => {
    // The quoted 1.0039215 is the legacy "+ nudged_min" formula; TF master gives 127 * scale rounded
    // once (semantics doc §4.2), i.e. float32(128 / 127.5).
    const y = runForward({inputs: [-1, 0, 1], shape: [3], min: -1, max: 1, numBits: 8,
                          narrowRange: false});
    const scale = Math.fround(2 / 255);
    expect(y[0]).toBe(Math.fround(-127 * scale));
    expect(Object.is(y[1], 0)).toBe(true);
    expect(y[2]).toBe(Math.fround(128 * scale));
    expect(y[2]).toBe(Math.fround(1.0039216));
  });
});

describe('XLA parameter sets (compiler/tests/fake_quant_ops_test.py)', () => {
  for (const c of XLA_CASES) {
    it(`${c.name}: nudged range`, () => {
      const n = nudge(c.min, c.max, quantRange(c.numBits, c.narrowRange));
      expect(Math.abs(n.nudgedMin - c.expectedNudgedMin)).toBeLessThanOrEqual(
          c.atol + c.rtol * Math.abs(c.expectedNudgedMin));
      expect(Math.abs(n.nudgedMax - c.expectedNudgedMax)).toBeLessThanOrEqual(
          c.atol + c.rtol * Math.abs(c.expectedNudgedMax));
      expect(Math.abs(n.scale - c.expectedStep)).toBeLessThanOrEqual(
          c.atol + c.rtol * c.expectedStep);
      // The package's nudge and the reference's agree bit for bit.
      const r = refNudge(c.min, c.max, c.numBits, c.narrowRange);
      expect(n.nudgedMin).toBe(r.nudgedMin);
      expect(n.nudgedMax).toBe(r.nudgedMax);
      expect(n.scale).toBe(r.scale);
      expect(n.invScale).toBe(r.invScale);
      expect(n.quantZero).toBe(r.quantZero);
    });

    it(`${c.name}: FakeQuantWithMinMaxVars`, () => {
      const actual = runForward({inputs: c.inputs, shape: [c.inputs.length], min: c.min, max: c.max,
                                 numBits: c.numBits, narrowRange: c.narrowRange});
      const bad: string[] = [];
      for (let i = 0; i < c.expected.length; i++) {
        // numpy assert_allclose: |a - e| <= atol + rtol |e|
        if (!(Math.abs(actual[i] - c.expected[i]) <= c.atol + c.rtol * Math.abs(c.expected[i]))) {
          bad.push(`[${i}] got ${actual[i]} want ${c.expected[i]}`);
        }
      }
      expect(bad).toEqual([]);
      expect(sameFloatsReport(
          actual, refFakeQuantVars(c.inputs, c.min, c.max, c.numBits, c.narrowRange))).toEqual([]);
    });

    it(`${c.name}: FakeQuantWithMinMaxVarsGradient`, () => {
      checkGradient({
        name: c.name, op: 'Vars', numBits: c.numBits, narrowRange: c.narrowRange, min: c.min,
        max: c.max, shape: [c.inputs.length], inputs: c.inputs, gradients: c.gradients,
        expectedBackprops: c.expectedBackprops, expectedWrtMin: c.expectedWrtMin,
        expectedWrtMax: c.expectedWrtMax,
      });
    });
  }
});
