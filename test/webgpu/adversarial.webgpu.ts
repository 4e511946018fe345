/// <reference types="@webgpu/types" />
/**
 * Bad and unusual input on the webgpu kernels (Dawn; SwiftShader's Vulkan driver without a GPU),
 * with no uncaptured GPU error in any test (setup.ts fails a test on one):
 *   - the adversarial cases every backend runs (adversarial_cases.ts);
 *   - every argument of every op as int32 and bool tensors (stored as i32 buffers: tfjs's Cast to
 *     float32 only relabels them), against the float32 reference of the same values, with an
 *     unrelated tf.add recorded in the same command batch.
 */
import * as tf from '@tensorflow/tfjs';

import {fakeQuantWithMinMaxArgs, fakeQuantWithMinMaxArgsGradient, fakeQuantWithMinMaxVars, fakeQuantWithMinMaxVarsGradient, fakeQuantWithMinMaxVarsPerChannel, fakeQuantWithMinMaxVarsPerChannelGradient} from '../../src';
import {firstMismatch, sumsMismatch} from '../shared/compare';
import type {Problem} from '../shared/reference';
import {refFakeQuantArgs, refFakeQuantArgsGradient, refFakeQuantPerChannel, refFakeQuantPerChannelGradient, refFakeQuantVars, refFakeQuantVarsGradient, refRangeGradientTerms} from '../shared/reference';

import {adversarialCases, checkCase} from './adversarial_cases';
import {compareWithReference, type Op} from '../shared/backend_suite';

describe('webgpu: adversarial input', () => {
  for (const c of adversarialCases({complex64: true})) {
    it(c.label, async () => {
      expect(await checkCase(c)).toBeNull();
    });
  }
});

/** int32 values in [-3, 3] (the cast is exact) and their float32 copy for the reference. */
function intValues(n: number, seed: number): {ints: Int32Array, floats: Float32Array} {
  const ints = Int32Array.from({length: n}, (_, i) => ((i * 7 + seed * 13) % 7) - 3);
  return {ints, floats: Float32Array.from(ints)};
}

/** A 0/1 pattern as bool values, and the float32 copy. */
function boolValues(n: number, seed: number): {bools: boolean[], floats: Float32Array} {
  const bools = Array.from({length: n}, (_, i) => (i * 5 + seed) % 3 === 0);
  return {bools, floats: Float32Array.from(bools, b => b ? 1 : 0)};
}

/** An unrelated op recorded in the same batch as `f`'s dispatches must still be right. */
async function withUnrelatedAdd<T>(f: () => T): Promise<T> {
  const a = tf.tensor1d([1, 2, 3]);
  const b = tf.tensor1d([10, 20, 30]);
  const before = tf.add(a, b);
  const result = f();
  const after = tf.add(b, a);
  expect(Array.from(await before.data())).toEqual([11, 22, 33]);
  expect(Array.from(await after.data())).toEqual([11, 22, 33]);
  tf.dispose([a, b, before, after]);
  return result;
}

async function expectForward(y: tf.Tensor, expected: Float32Array): Promise<void> {
  expect(y.dtype).toBe('float32');
  expect(firstMismatch(await y.data(), expected, true)).toBeNull();
}

describe('webgpu: int32 and bool arguments (stored as i32 buffers)', () => {
  const n = 2000;

  it('Vars forward: int32 inputs, and int32 / bool min and max', async () => {
    const before = tf.memory().numTensors;
    const {ints, floats} = intValues(n, 1);
    const x = tf.tensor1d(ints, 'int32');
    const y = await withUnrelatedAdd(() => fakeQuantWithMinMaxVars(x, -2, 2));
    await expectForward(y, refFakeQuantVars(floats, -2, 2, 8, false));
    const fx = tf.tensor1d(floats);
    const min = tf.scalar(-1, 'int32');
    const max = tf.scalar(true, 'bool');
    const y2 = await withUnrelatedAdd(() => fakeQuantWithMinMaxVars(fx, min, max));
    await expectForward(y2, refFakeQuantVars(floats, -1, 1, 8, false));
    tf.dispose([x, y, fx, min, max, y2]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('Args forward and gradient: int32 and bool inputs and gradients', async () => {
    const before = tf.memory().numTensors;
    const {ints, floats} = intValues(n, 2);
    const {bools, floats: boolFloats} = boolValues(n, 3);
    const x = tf.tensor1d(ints, 'int32');
    const dy = tf.tensor1d(bools, 'bool');
    const y = await withUnrelatedAdd(() => fakeQuantWithMinMaxArgs(x, -2.5, 2.5, 4));
    await expectForward(y, refFakeQuantArgs(floats, -2.5, 2.5, 4, false));
    const dx = await withUnrelatedAdd(() => fakeQuantWithMinMaxArgsGradient(dy, x, -2.5, 2.5, 4));
    await expectForward(dx, refFakeQuantArgsGradient(boolFloats, floats, -2.5, 2.5, 4, false));
    tf.dispose([x, dy, y, dx]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('Vars gradient: int32 gradients and inputs, bool and int32 range', async () => {
    const before = tf.memory().numTensors;
    const {ints, floats} = intValues(n, 4);
    const {ints: gInts, floats: gFloats} = intValues(n, 5);
    const x = tf.tensor1d(ints, 'int32');
    const dy = tf.tensor1d(gInts, 'int32');
    const min = tf.scalar(false, 'bool');
    const max = tf.scalar(2, 'int32');
    const r = await withUnrelatedAdd(() => fakeQuantWithMinMaxVarsGradient(dy, x, min, max));
    const ref = refFakeQuantVarsGradient(gFloats, floats, 0, 2, 8, false);
    expect(firstMismatch(await r.backpropsWrtInput.data(), ref.backpropsWrtInput, true)).toBeNull();
    const terms = refRangeGradientTerms(gFloats, floats, [0], [2]);
    expect(sumsMismatch(await r.backpropWrtMin.data(), [ref.backpropWrtMin], terms.below)).toBeNull();
    expect(sumsMismatch(await r.backpropWrtMax.data(), [ref.backpropWrtMax], terms.above)).toBeNull();
    tf.dispose([x, dy, min, max, r.backpropsWrtInput, r.backpropWrtMin, r.backpropWrtMax]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('tf.grads through Vars with an int32 input: the saved input is read as numbers', async () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor1d([-3, -1, 0, 1, 3, 5], 'int32');
    const min = tf.scalar(-2);
    const max = tf.scalar(2);
    const [dMin, dMax] = await withUnrelatedAdd(() => tf.grads(
        (lo: tf.Tensor, hi: tf.Tensor) =>
            fakeQuantWithMinMaxVars(x, lo as tf.Scalar, hi as tf.Scalar).sum())([min, max]));
    // One element below the nudged range [-2.0078435, 1.9921569], two above.
    expect(Array.from(await dMin.data())).toEqual([1]);
    expect(Array.from(await dMax.data())).toEqual([2]);
    tf.dispose([x, min, max, dMin, dMax]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('int32 beyond 2^24 converts as tfjs\'s Cast (to nearest even), on every input', async () => {
    const before = tf.memory().numTensors;
    const big = [2 ** 24 + 1, 2 ** 24 + 3, -(2 ** 24) - 1, 2 ** 31 - 1, -(2 ** 31), 2 ** 30 + 65, 7];
    const ints = Int32Array.from(big);
    const floats = Float32Array.from(ints);
    const dy = tf.tensor1d(ints, 'int32');
    const x = tf.tensor1d(ints, 'int32');
    // A zero range passes the gradient through: dx is the converted dy itself.
    const r = fakeQuantWithMinMaxVarsGradient(dy, x, 0, 0);
    expect(firstMismatch(await r.backpropsWrtInput.data(), floats, true)).toBeNull();
    const min = tf.scalar(-(2 ** 31), 'int32');
    const y = fakeQuantWithMinMaxVars(x, min, 2 ** 31, 16);
    await expectForward(y, refFakeQuantVars(floats, -(2 ** 31), 2 ** 31, 16, false));
    tf.dispose([dy, x, min, y, r.backpropsWrtInput, r.backpropWrtMin, r.backpropWrtMax]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('PerChannel forward and gradient: int32 inputs and ranges, bool gradients', async () => {
    const before = tf.memory().numTensors;
    const {ints, floats} = intValues(n, 6);
    const {bools, floats: boolFloats} = boolValues(n, 7);
    const mins = [-1, -2, 0, -3];
    const maxs = [1, 2, 3, 0];
    const x = tf.tensor2d(ints, [n / 4, 4], 'int32');
    const dy = tf.tensor2d(bools, [n / 4, 4], 'bool');
    const min = tf.tensor1d(mins, 'int32');
    const max = tf.tensor1d(maxs, 'int32');
    const y = await withUnrelatedAdd(() => fakeQuantWithMinMaxVarsPerChannel(x, min, max));
    await expectForward(y, refFakeQuantPerChannel(floats, mins, maxs, 8, false));
    const r = await withUnrelatedAdd(() => fakeQuantWithMinMaxVarsPerChannelGradient(dy, x, min, max));
    const ref = refFakeQuantPerChannelGradient(boolFloats, floats, mins, maxs, 8, false);
    expect(firstMismatch(await r.backpropsWrtInput.data(), ref.backpropsWrtInput, true)).toBeNull();
    // 0/1 gradients: every sum is an exact small integer, in any order.
    expect(Array.from(await r.backpropWrtMin.data())).toEqual(Array.from(ref.backpropWrtMin));
    expect(Array.from(await r.backpropWrtMax.data())).toEqual(Array.from(ref.backpropWrtMax));
    tf.dispose([x, dy, min, max, y, r.backpropsWrtInput, r.backpropWrtMin, r.backpropWrtMax]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('webgpu: int32 and bool arguments computed on the GPU', () => {
  it('Vars forward and gradient read them as numbers; an unrelated add stays right', async () => {
    const before = tf.memory().numTensors;
    const floats = Float32Array.from({length: 2000}, (_, i) => (i % 9) - 4.5);
    const source = tf.tensor1d(floats);
    // int32 and bool buffers written by tfjs's own programs (truncation, comparison).
    const [x, dy, min] = tf.tidy(() => [
      tf.cast(tf.mul(source, 1), 'int32'), tf.greater(source, 0),
      tf.cast(tf.mul(tf.scalar(-2.7), 1), 'int32'),
    ]);
    const [y, g] = await withUnrelatedAdd(() => [
      fakeQuantWithMinMaxVars(x, min as tf.Scalar, 2),
      fakeQuantWithMinMaxVarsGradient(dy, x, min as tf.Scalar, 2),
    ] as const);
    const ints = Float32Array.from(floats, v => Math.trunc(v));
    const bools = Float32Array.from(floats, v => v > 0 ? 1 : 0);
    await expectForward(y, refFakeQuantVars(ints, -2, 2));
    const ref = refFakeQuantVarsGradient(bools, ints, -2, 2);
    expect(firstMismatch(await g.backpropsWrtInput.data(), ref.backpropsWrtInput, true)).toBeNull();
    expect(Array.from(await g.backpropWrtMin.data())).toEqual([ref.backpropWrtMin]);
    expect(Array.from(await g.backpropWrtMax.data())).toEqual([ref.backpropWrtMax]);
    tf.dispose([source, x, dy, min, y, g.backpropsWrtInput, g.backpropWrtMin, g.backpropWrtMax]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('webgpu: subnormals', () => {
  // Subnormal inputs on both sides of nudged bounds of 0 (GPUs may flush a comparison's subnormal
  // operands: the masks compare bits), the smallest normals, and ranges with subnormal ends but
  // a normal scale. Forward and input gradient bit for bit, range sums exactly (integers).
  const x = Float32Array.from([1.4e-45, -1.4e-45, 1e-40, -1e-40, 1.1754942e-38, -1.1754942e-38,
                               1.17549435e-38, -1.17549435e-38, 0, -0, 0.5, -0.5]);
  const dy = Float32Array.from(x, (_, i) => i + 1);
  const ranges: Array<[number, number]> = [
    [0, 1], [-1, 0], [0, 0.5], [-0.25, 0], [1e-39, 1], [-1, -1e-39], [-1e-30, 1e-30], [-1, 1],
  ];
  for (const [min, max] of ranges) {
    for (const op of ['Vars', 'Args', 'PerChannel'] as Op[]) {
      it(`${op}, range [${min}, ${max}]: the cpu's answer`, async () => {
        const p: Problem = {shape: op === 'PerChannel' ? [x.length, 1] : [x.length], x, dy,
                            mins: [min], maxs: [max], numBits: 8, narrowRange: false};
        expect(await compareWithReference(op, p, true)).toBeNull();
      });
    }
  }
});
