/**
 * FakeQuantWithMinMaxArgs / ...ArgsGradient / ...VarsPerChannel / ...VarsPerChannelGradient on the
 * cpu backend, what the shared backend matrix (test/shared/backend_suite.ts, run by cpu.test.ts)
 * does not cover: the gradient kernel runs once per backward pass, the chained tensor methods,
 * argument errors naming the argument, and tf.memory().numTensors after failed and successful
 * calls (TensorLike, int32 and tf.tidy included).
 */
import * as tf from '@tensorflow/tfjs';

import {FakeQuantWithMinMaxArgs, FakeQuantWithMinMaxArgsGradient, FakeQuantWithMinMaxVarsPerChannel, FakeQuantWithMinMaxVarsPerChannelGradient, fakeQuantWithMinMaxArgs, fakeQuantWithMinMaxArgsGradient, fakeQuantWithMinMaxVarsPerChannel, fakeQuantWithMinMaxVarsPerChannelGradient} from '../../src';
import {refFakeQuantArgs, refFakeQuantArgsGradient, refFakeQuantPerChannel, refFakeQuantPerChannelGradient, refFakeQuantVars} from '../shared/reference';
import {mulberry32} from '../shared/random';
import {mismatches} from '../shared/float32';
import {expectThrowsNoLeak, withKernelCounts} from './jest_util';

const f32 = Math.fround;

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

function uniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({length: n}, () => lo + (hi - lo) * r());
}

// ---------------------------------------------------------------------------------------------
// Gradient routing
// ---------------------------------------------------------------------------------------------

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

  it('Args shows a range given as one object (keyword style) by its class and asks for two numbers', () => {
    const range = {min: -1, max: 1} as unknown as number;
    expectThrowsNoLeak(() => fqArgs(x, range), /both numbers, in that order after the input/,
                       /got min an instance of Object and max 6\./);
    const max = tf.scalar(1);
    expectThrowsNoLeak(() => fqArgsGrad(dy, x, -1, max as unknown as number),
                       /got min -1 and max an instance of Tensor\./);
    max.dispose();
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
