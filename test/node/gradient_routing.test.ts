/**
 * tf.grad / tf.grads / tf.variableGrads / optimizers through fakeQuantWithMinMaxVars: the gradients
 * are TF's FakeQuantWithMinMaxVarsGradient (checked against the independent reference and against
 * the public gradient op), the gradient kernel runs exactly once per backward pass, and training
 * min/max with the straight-through estimator moves the range as TF's gradient implies.
 */
import * as tf from '@tensorflow/tfjs';

import {FakeQuantWithMinMaxVars, FakeQuantWithMinMaxVarsGradient, fakeQuantWithMinMaxVars, fakeQuantWithMinMaxVarsGradient} from '../../src';
import {refFakeQuantVars, refFakeQuantVarsGradient, refNudge} from '../shared/reference';
import {mulberry32, uniformFloat32} from '../shared/random';
import {withKernelCounts} from './jest_util';

const f32 = Math.fround;

function expectSameFloats(actual: ArrayLike<number>, expected: ArrayLike<number>, what = ''): void {
  expect(actual.length).toBe(expected.length);
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      bad.push(`${what}[${i}] got ${actual[i]} want ${expected[i]}`);
    }
  }
  expect(bad.slice(0, 10)).toEqual([]);
}



interface Setup {
  label: string;
  shape: number[];
  min: number;
  max: number;
  numBits: number;
  narrowRange: boolean;
}

const SETUPS: Setup[] = [
  {label: '8 bits [-1, 1]', shape: [40], min: -1, max: 1, numBits: 8, narrowRange: false},
  {label: '4 bits narrow [-0.5, 2.5], rank 3', shape: [2, 3, 7], min: -0.5, max: 2.5, numBits: 4,
   narrowRange: true},
  {label: '2 bits [0.3, 1.7] (min > 0)', shape: [5, 8], min: 0.3, max: 1.7, numBits: 2,
   narrowRange: false},
  {label: '16 bits [-3, -1] (max < 0)', shape: [33], min: -3, max: -1, numBits: 16,
   narrowRange: false},
  {label: 'min == max == 0 (pass-through)', shape: [12], min: 0, max: 0, numBits: 8,
   narrowRange: false},
];

function dataFor(s: Setup, seed: number): {x: Float32Array; w: Float32Array} {
  const n = s.shape.reduce((a, b) => a * b, 1);
  const width = Math.max(s.max - s.min, 1);
  // Spread past both ends so that some elements are clipped below and above.
  const x = uniformFloat32(n, s.min - 0.6 * width, s.max + 0.6 * width, seed);
  // Include the nudged bounds themselves (inclusive in-range mask, strict below/above masks).
  if (!(s.min === 0 && s.max === 0)) {
    const nr = refNudge(s.min, s.max, s.numBits, s.narrowRange);
    x[0] = nr.nudgedMin;
    x[1] = nr.nudgedMax;
  }
  // Upstream weights != 1, negative ones included, all small integers / 4 so sums are exact.
  const r = mulberry32(seed + 1);
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = (Math.floor(r() * 17) - 8) / 4 || 0.25;
  return {x, w};
}

describe('tf.grads through fakeQuantWithMinMaxVars', () => {
  for (const s of SETUPS) {
    it(`${s.label}: d/d(inputs, min, max) of sum(fq * w) is TF's gradient with dy = w`, () => {
      const {x, w} = dataFor(s, 7);
      const xt = tf.tensor(x, s.shape);
      const wt = tf.tensor(w, s.shape);
      const mint = tf.scalar(s.min);
      const maxt = tf.scalar(s.max);
      const before = tf.memory().numTensors;
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.mul(fakeQuantWithMinMaxVars(a, b as tf.Scalar, c as tf.Scalar, s.numBits, s.narrowRange),
                 wt).sum());
      const [gx, gmin, gmax] = g([xt, mint, maxt]);
      expect(tf.memory().numTensors).toBe(before + 3);
      expect(gx.shape).toEqual(s.shape);
      expect(gmin.shape).toEqual([]);
      expect(gmax.shape).toEqual([]);

      const e = refFakeQuantVarsGradient(w, x, s.min, s.max, s.numBits, s.narrowRange);
      expectSameFloats(gx.dataSync(), e.backpropsWrtInput, 'dx');
      expect(gmin.dataSync()[0]).toBe(e.backpropWrtMin);
      expect(gmax.dataSync()[0]).toBe(e.backpropWrtMax);

      const op = fakeQuantWithMinMaxVarsGradient(wt, xt, mint, maxt, s.numBits, s.narrowRange);
      expectSameFloats(gx.dataSync(), op.backpropsWrtInput.dataSync(), 'dx vs op');
      expectSameFloats(gmin.dataSync(), op.backpropWrtMin.dataSync(), 'dmin vs op');
      expectSameFloats(gmax.dataSync(), op.backpropWrtMax.dataSync(), 'dmax vs op');

      // The data reach both sides of the range, so these checks are not vacuous.
      if (!(s.min === 0 && s.max === 0)) {
        const nr = refNudge(s.min, s.max, s.numBits, s.narrowRange);
        expect(x.some((v) => v < nr.nudgedMin)).toBe(true);
        expect(x.some((v) => v > nr.nudgedMax)).toBe(true);
        expect(Array.from(e.backpropsWrtInput).some((v, i) => v === 0 && w[i] !== 0)).toBe(true);
        // Elements exactly at the nudged bounds get their upstream gradient (inclusive mask).
        expect(gx.dataSync()[0]).toBe(w[0]);
        expect(gx.dataSync()[1]).toBe(w[1]);
      } else {
        expectSameFloats(gx.dataSync(), w, 'pass-through');
        expect(gmin.dataSync()[0]).toBe(0);
        expect(gmax.dataSync()[0]).toBe(0);
      }
      tf.dispose([gx, gmin, gmax, xt, wt, mint, maxt, ...Object.values(op)]);
    });
  }

  it('broadcast upstream weights: w of shape [1, n] against inputs [m, n]', () => {
    const m = 6;
    const n = 5;
    const x = uniformFloat32(m * n, -4, 4, 3);
    const wRow = [2, -1, 0.5, 3, -0.25];
    const xt = tf.tensor2d(x, [m, n]);
    const wt = tf.tensor2d(wRow, [1, n]);
    const mint = tf.scalar(-1.5);
    const maxt = tf.scalar(2);
    const [gx, gmin, gmax] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.mul(fakeQuantWithMinMaxVars(a, b as tf.Scalar, c as tf.Scalar, 5), wt).sum())(
        [xt, mint, maxt]);
    const dy = Float32Array.from({length: m * n}, (_, i) => wRow[i % n]);
    const e = refFakeQuantVarsGradient(dy, x, -1.5, 2, 5);
    expectSameFloats(gx.dataSync(), e.backpropsWrtInput);
    expect(gmin.dataSync()[0]).toBe(e.backpropWrtMin);
    expect(gmax.dataSync()[0]).toBe(e.backpropWrtMax);
    tf.dispose([gx, gmin, gmax, xt, wt, mint, maxt]);
  });

  it('the default upstream gradient (ones) when the function returns the fq output itself', () => {
    const x = [-2, -1, -0.9, 0, 0.7, 1.0039216, 1.01, 3];
    const args = [tf.tensor1d(x), tf.scalar(-1), tf.scalar(1)];
    const [gx, gmin, gmax] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        fakeQuantWithMinMaxVars(a, b as tf.Scalar, c as tf.Scalar))(args);
    // Nudged range of [-1, 1] at 8 bits is [-0.99607843, 1.0039216] (zp 127, semantics doc §3).
    expectSameFloats(gx.dataSync(), [0, 0, 1, 1, 1, 1, 0, 0]);
    expect(gmin.dataSync()[0]).toBe(2);  // -2, -1 are below -0.99607843
    expect(gmax.dataSync()[0]).toBe(2);  // 1.01, 3 are above 1.0039216
    tf.dispose([gx, gmin, gmax, ...args]);
  });
});

describe('the gradient kernel runs exactly once per backward pass', () => {
  it('tf.grads wrt (inputs, min, max): one forward kernel, one gradient kernel', async () => {
    const x = tf.tensor1d(uniformFloat32(64, -3, 3, 11));
    const w = tf.tensor1d(uniformFloat32(64, -2, 2, 12));
    const min = tf.scalar(-1);
    const max = tf.scalar(1);
    await withKernelCounts([FakeQuantWithMinMaxVars, FakeQuantWithMinMaxVarsGradient], (counts) => {
      const gs = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.mul(fakeQuantWithMinMaxVars(a, b as tf.Scalar, c as tf.Scalar), w).sum())([x, min, max]);
      expect(counts[FakeQuantWithMinMaxVars]).toBe(1);
      expect(counts[FakeQuantWithMinMaxVarsGradient]).toBe(1);
      tf.dispose(gs);
    });
    tf.dispose([x, w, min, max]);
  });

  it('tf.grad wrt inputs only, and tf.variableGrads wrt min/max: still once each', async () => {
    const x = tf.tensor1d(uniformFloat32(64, -3, 3, 13));
    const min = tf.variable(tf.scalar(-1), true, 'vg_min_once');
    const max = tf.variable(tf.scalar(1), true, 'vg_max_once');
    await withKernelCounts([FakeQuantWithMinMaxVarsGradient], (counts) => {
      const gx = tf.grad((a: tf.Tensor) => fakeQuantWithMinMaxVars(a, -1, 1).square().sum())(x);
      expect(counts[FakeQuantWithMinMaxVarsGradient]).toBe(1);
      const {value, grads} = tf.variableGrads(
          () => fakeQuantWithMinMaxVars(x, min, max).square().sum() as tf.Scalar, [min, max]);
      expect(counts[FakeQuantWithMinMaxVarsGradient]).toBe(2);
      tf.dispose([gx, value, ...Object.values(grads)]);
    });
    tf.dispose([x, min, max]);
  });

  it('tf.profile lists FakeQuantWithMinMaxVarsGradient once', async () => {
    const x = tf.tensor1d(uniformFloat32(32, -3, 3, 14));
    const min = tf.scalar(-1);
    const max = tf.scalar(1);
    const info = await tf.profile(() => {
      const gs = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          fakeQuantWithMinMaxVars(a, b as tf.Scalar, c as tf.Scalar).sum())([x, min, max]);
      tf.dispose(gs);
    });
    const names = info.kernels.map((k) => k.name);
    expect(names.filter((n) => n === FakeQuantWithMinMaxVarsGradient)).toHaveLength(1);
    expect(names.filter((n) => n === FakeQuantWithMinMaxVars)).toHaveLength(1);
    tf.dispose([x, min, max]);
  });

  it('the counting wrapper is removed again (original kernel restored)', async () => {
    const original = tf.getKernel(FakeQuantWithMinMaxVarsGradient, 'cpu')!.kernelFunc;
    await withKernelCounts([FakeQuantWithMinMaxVarsGradient], () => {
      expect(tf.getKernel(FakeQuantWithMinMaxVarsGradient, 'cpu')!.kernelFunc).not.toBe(original);
    });
    expect(tf.getKernel(FakeQuantWithMinMaxVarsGradient, 'cpu')!.kernelFunc).toBe(original);
  });
});

describe('tf.grad / tf.variableGrads', () => {
  it('tf.grad wrt inputs only (min, max numbers) matches the reference', () => {
    const x = uniformFloat32(50, -2, 2, 21);
    const w = uniformFloat32(50, -1, 1, 22);
    const wt = tf.tensor1d(w);
    const xt = tf.tensor1d(x);
    const gx = tf.grad((a: tf.Tensor) =>
        tf.mul(fakeQuantWithMinMaxVars(a, -0.7, 1.3, 3, true), wt).sum())(xt);
    const e = refFakeQuantVarsGradient(w, x, -0.7, 1.3, 3, true);
    expectSameFloats(gx.dataSync(), e.backpropsWrtInput);
    tf.dispose([gx, wt, xt]);
  });

  it('tf.variableGrads with tf.Variable min/max', () => {
    const x = uniformFloat32(80, -3, 3, 31);
    const w = uniformFloat32(80, -2, 2, 32);
    const xt = tf.tensor1d(x);
    const wt = tf.tensor1d(w);
    const min = tf.variable(tf.scalar(-1.2), true, 'vg_min');
    const max = tf.variable(tf.scalar(0.9), true, 'vg_max');
    const before = tf.memory().numTensors;
    const {value, grads} = tf.variableGrads(
        () => tf.mul(fakeQuantWithMinMaxVars(xt, min, max, 6), wt).sum() as tf.Scalar, [min, max]);
    expect(Object.keys(grads).sort()).toEqual(['vg_max', 'vg_min']);
    expect(tf.memory().numTensors).toBe(before + 3);
    const e = refFakeQuantVarsGradient(w, x, -1.2, 0.9, 6);
    expect(grads['vg_min'].dataSync()[0]).toBe(e.backpropWrtMin);
    expect(grads['vg_max'].dataSync()[0]).toBe(e.backpropWrtMax);
    // value = sum(fq * w) computed by tfjs' sum; compare loosely with the reference forward.
    const y = refFakeQuantVars(x, -1.2, 0.9, 6);
    let expected = 0;
    for (let i = 0; i < y.length; i++) expected += y[i] * w[i];
    expect(value.dataSync()[0]).toBeCloseTo(expected, 4);
    tf.dispose([value, ...Object.values(grads), xt, wt, min, max]);
  });

  it('a non-trainable Variable gets no gradient (variableGrads default list)', () => {
    const xt = tf.tensor1d([-3, 0, 3]);
    const min = tf.variable(tf.scalar(-1), false, 'nt_min');
    const max = tf.variable(tf.scalar(1), true, 'nt_max');
    const {value, grads} = tf.variableGrads(
        () => fakeQuantWithMinMaxVars(xt, min, max).sum() as tf.Scalar);
    expect(grads['nt_min']).toBeUndefined();
    expect(grads['nt_max'].dataSync()[0]).toBe(1);  // only 3 is above the nudged max
    tf.dispose([value, ...Object.values(grads), xt, min, max]);
  });
});

describe('training min/max with the straight-through estimator', () => {
  it('too-narrow range [-0.1, 0.1] on data in [-3, 3]: MSE pushes min down and max up', () => {
    const x = uniformFloat32(512, -3, 3, 41);
    const xt = tf.tensor1d(x);
    const min = tf.variable(tf.scalar(-0.1), true, 'narrow_min');
    const max = tf.variable(tf.scalar(0.1), true, 'narrow_max');
    const opt = tf.train.sgd(0.5);
    const loss = () => tf.losses.meanSquaredError(xt, fakeQuantWithMinMaxVars(xt, min, max)) as tf.Scalar;

    // First step's gradients from the reference: d(mean((fq - x)^2))/d fq = 2 (fq - x) / n.
    const fq0 = refFakeQuantVars(x, -0.1, 0.1);
    const dy0 = Float32Array.from(fq0, (v, i) => (2 * (v - x[i])) / x.length);
    const e0 = refFakeQuantVarsGradient(dy0, x, -0.1, 0.1);
    const {value: l0, grads: g0} = tf.variableGrads(loss, [min, max]);
    expect(g0['narrow_min'].dataSync()[0]).toBeCloseTo(e0.backpropWrtMin, 5);
    expect(g0['narrow_max'].dataSync()[0]).toBeCloseTo(e0.backpropWrtMax, 5);
    expect(e0.backpropWrtMin).toBeGreaterThan(0.5);   // clipped-below elements pull min down
    expect(e0.backpropWrtMax).toBeLessThan(-0.5);     // clipped-above elements pull max up
    const initialLoss = l0.dataSync()[0];
    tf.dispose([l0, ...Object.values(g0)]);

    let prevMin = -0.1;
    let prevMax = 0.1;
    for (let step = 0; step < 40; step++) {
      const l = opt.minimize(loss, true, [min, max]);
      l!.dispose();
      const mn = min.dataSync()[0];
      const mx = max.dataSync()[0];
      // With plain SGD, min never increases and max never decreases: dL/dmin >= 0, dL/dmax <= 0.
      expect(mn).toBeLessThanOrEqual(prevMin);
      expect(mx).toBeGreaterThanOrEqual(prevMax);
      prevMin = mn;
      prevMax = mx;
    }
    const finalLoss = loss();
    expect(min.dataSync()[0]).toBeLessThan(-2.5);
    expect(max.dataSync()[0]).toBeGreaterThan(2.5);
    // Clipping dominated the initial loss (~2.6); once the range covers the data only the 8-bit
    // rounding error (scale^2 / 12, about 5e-5 for a 6-wide range) and a little clipping remain.
    expect(initialLoss).toBeGreaterThan(2);
    expect(finalLoss.dataSync()[0]).toBeLessThan(0.01 * initialLoss);
    tf.dispose([finalLoss, xt, min, max]);
    opt.dispose();
  });

  it('too-wide range [-100, 100] on data in [-1, 1]: MSE gives exactly zero min/max gradients', () => {
    // No element is clipped, and TF's min/max gradients only sum over clipped elements, so the
    // straight-through estimator cannot shrink the range however large the rounding error is.
    const x = uniformFloat32(256, -1, 1, 51);
    const xt = tf.tensor1d(x);
    const min = tf.variable(tf.scalar(-100), true, 'wide_min');
    const max = tf.variable(tf.scalar(100), true, 'wide_max');
    const loss = () => tf.losses.meanSquaredError(xt, fakeQuantWithMinMaxVars(xt, min, max)) as tf.Scalar;
    const {value, grads} = tf.variableGrads(loss, [min, max]);
    expect(value.dataSync()[0]).toBeGreaterThan(0.01);  // large rounding error: scale is 0.78
    expect(Object.is(grads['wide_min'].dataSync()[0], 0)).toBe(true);
    expect(Object.is(grads['wide_max'].dataSync()[0], 0)).toBe(true);
    const opt = tf.train.sgd(1);
    for (let i = 0; i < 5; i++) opt.minimize(loss, false, [min, max]);
    expect(min.dataSync()[0]).toBe(-100);
    expect(max.dataSync()[0]).toBe(100);
    tf.dispose([value, ...Object.values(grads), xt, min, max]);
    opt.dispose();
  });

  it('too-wide range with a range-width penalty shrinks until clipping pushes back', () => {
    // loss = MSE(fq(x), x) + lambda (max - min)^2. The penalty pulls the ends in; once elements are
    // clipped, the STE gradient pushes them out: equilibrium (1 - m)^2 / 2 = 4 lambda m for uniform
    // data on [-1, 1], i.e. m ~ 0.54 for lambda = 0.05.
    const x = uniformFloat32(2048, -1, 1, 61);
    const xt = tf.tensor1d(x);
    const min = tf.variable(tf.scalar(-100), true, 'pen_min');
    const max = tf.variable(tf.scalar(100), true, 'pen_max');
    const lambda = 0.05;
    const loss = () => tf.tidy(() => tf.add(
        tf.losses.meanSquaredError(xt, fakeQuantWithMinMaxVars(xt, min, max)),
        tf.mul(lambda, tf.square(tf.sub(max, min))))) as tf.Scalar;
    const opt = tf.train.sgd(1);
    for (let i = 0; i < 150; i++) opt.minimize(loss, false, [min, max]);
    const mn = min.dataSync()[0];
    const mx = max.dataSync()[0];
    expect(mx).toBeLessThan(0.75);
    expect(mx).toBeGreaterThan(0.35);
    expect(mn).toBeGreaterThan(-0.75);
    expect(mn).toBeLessThan(-0.35);
    // At the end some elements are clipped on both sides, so the STE gradients are non-zero and
    // point outward (the penalty alone would drive the width to 0).
    const dy = new Float32Array(x.length);
    const fq = refFakeQuantVars(x, mn, mx);
    for (let i = 0; i < x.length; i++) dy[i] = f32((2 * (fq[i] - x[i])) / x.length);
    const e = refFakeQuantVarsGradient(dy, x, mn, mx);
    expect(e.backpropWrtMin).toBeGreaterThan(0);
    expect(e.backpropWrtMax).toBeLessThan(0);
    tf.dispose([xt, min, max]);
    opt.dispose();
  });
});
