/**
 * What only the webgl Vars kernels have (the matrix itself: webgl_matrix.spec.ts):
 *   - WebGL1 (no integer bit operations: the hardware quotient, within a step of TF);
 *   - no read of min/max back to the CPU, 2 forward and 4 gradient programs at 1e6 elements;
 *   - tfjs's small-tensor CPU forwarding gives the same results for all three ops;
 *   - one warning that float16 render targets cannot match TensorFlow.
 */
import {fakeQuantWithMinMaxVars, fakeQuantWithMinMaxVarsGradient} from '../../src';
import {compareWithReference} from '../shared/backend_suite';
import {firstMismatch, sumsMismatch} from '../shared/compare';
import {refFakeQuantVars, refFakeQuantVarsGradient, refNudge, refRangeGradientTerms} from '../shared/reference';
import {TF_FORWARD_CASES, TF_GRADIENT_CASES} from '../shared/tf_cases';
import {mulberry32} from '../shared/random';
import {countGpuWork, tf, useWebGL} from './webgl_setup';

interface VarsProblem {
  shape: number[];
  x: Float32Array;
  dy: Float32Array;
  min: number;
  max: number;
  numBits: number;
  narrowRange: boolean;
}

function runForward(p: VarsProblem): Float32Array {
  return tf.tidy(() => fakeQuantWithMinMaxVars(
      tf.tensor(p.x, p.shape), tf.scalar(p.min), tf.scalar(p.max), p.numBits, p.narrowRange)
      .dataSync() as Float32Array);
}

function runGradient(p: VarsProblem) {
  return tf.tidy(() => {
    const r = fakeQuantWithMinMaxVarsGradient(
        tf.tensor(p.dy, p.shape), tf.tensor(p.x, p.shape), tf.scalar(p.min), tf.scalar(p.max),
        p.numBits, p.narrowRange);
    return {
      dx: r.backpropsWrtInput.dataSync() as Float32Array,
      dMin: r.backpropWrtMin.dataSync()[0],
      dMax: r.backpropWrtMax.dataSync()[0],
      shapes: [r.backpropsWrtInput.shape, r.backpropWrtMin.shape, r.backpropWrtMax.shape],
    };
  });
}

function expectTfCases(): void {
  for (const c of TF_FORWARD_CASES.filter(c => c.op === 'Vars')) {
    const out = runForward({
      shape: c.shape, x: new Float32Array(c.inputs), dy: new Float32Array(c.inputs.length),
      min: c.min as number, max: c.max as number, numBits: c.numBits, narrowRange: c.narrowRange,
    });
    const tol = (e: number) => 5 * 2 ** -23 * (1 + Math.abs(e));
    c.expected.forEach((e, i) => expect(Math.abs(out[i] - e)).withContext(`${c.name}[${i}]`)
                                     .toBeLessThanOrEqual(c.exact ? 0 : tol(e)));
  }
  for (const c of TF_GRADIENT_CASES.filter(c => c.op === 'Vars')) {
    const grad = runGradient({
      shape: c.shape, x: new Float32Array(c.inputs), dy: new Float32Array(c.gradients),
      min: c.min as number, max: c.max as number, numBits: c.numBits, narrowRange: c.narrowRange,
    });
    expect(Array.from(grad.dx)).withContext(c.name).toEqual(c.expectedBackprops);
    expect(grad.dMin).withContext(c.name).toBe(c.expectedWrtMin as number);
    expect(grad.dMax).withContext(c.name).toBe(c.expectedWrtMax as number);
  }
}

/**
 * WebGL1 has no integer bit operations, so divisions use the hardware quotient (up to 2.5 ulp in
 * GLSL ES): outputs may move one quantization step at a tie and masks may flip within a few ulps
 * of the nudged bounds. Checked on finite data away from the bounds, and on TF's own cases.
 */
describe('webgl1 FakeQuantWithMinMaxVars', () => {
  beforeAll(async () => useWebGL({WEBGL_VERSION: 1}));

  it('reproduces TensorFlow\'s C++ kernel tests', expectTfCases);

  it('stays within one quantization step of the reference on random data', () => {
    const rand = mulberry32(11);
    for (const [min, max, numBits] of [[-2.5, 3.1, 8], [-1, 1, 4], [0.5, 7, 8], [-9, -1, 6]]) {
      const n = refNudge(min, max, numBits, false);
      const x = Float32Array.from({length: 5000}, () => min - 1 + rand() * (max - min + 2))
                    .filter(v => Math.abs(v - n.nudgedMin) > 1e-4 && Math.abs(v - n.nudgedMax) > 1e-4);
      const dy = Float32Array.from(x, () => rand() - 0.5);
      const p = {shape: [x.length], x, dy, min, max, numBits, narrowRange: false};
      const forward = runForward(p);
      const ref = refFakeQuantVars(x, min, max, numBits);
      forward.forEach((v, i) => expect(Math.abs(v - ref[i])).toBeLessThanOrEqual(n.scale * 1.001));
      const grad = runGradient(p);
      const refGrad = refFakeQuantVarsGradient(dy, x, min, max, numBits);
      expect(firstMismatch(grad.dx, refGrad.backpropsWrtInput)).toBeNull();
      const terms = refRangeGradientTerms(dy, x, [min], [max], numBits);
      expect(sumsMismatch([grad.dMin], [refGrad.backpropWrtMin], terms.below)).toBeNull();
      expect(sumsMismatch([grad.dMax], [refGrad.backpropWrtMax], terms.above)).toBeNull();
    }
  });
});

describe('webgl FakeQuantWithMinMaxVars passes, reads and memory', () => {
  beforeAll(async () => useWebGL());

  it('never reads min/max back and runs 2 forward and 4 gradient programs at 1e6', () => {
    const x = tf.randomUniform([1000, 1000], -3, 3);
    // Integer gradients: the range sums are exact in any order.
    const dy = tf.floor(tf.randomUniform([1000, 1000], -4, 5));
    // Variables left packed on the GPU, as an optimizer's update leaves them.
    const min = tf.variable(tf.mul(tf.scalar(-1.5), 1) as tf.Scalar);
    const max = tf.variable(tf.mul(tf.scalar(2), 1) as tf.Scalar);
    // tslint:disable-next-line:no-any
    const texData = (tf.backend() as any).texData;
    expect(texData.get(min.dataId).isPacked && texData.get(max.dataId).isPacked).toBeTrue();
    // Uploading CPU data runs an encode program: count after the first (uploading) call.
    const warmUp = fakeQuantWithMinMaxVarsGradient(dy, x, min, max);
    tf.dispose([fakeQuantWithMinMaxVars(x, min, max), ...Object.values(warmUp)]);
    const forward = countGpuWork(() => fakeQuantWithMinMaxVars(x, min, max));
    const gradient = countGpuWork(() => fakeQuantWithMinMaxVarsGradient(dy, x, min, max));
    expect(forward.reads).toBe(0);
    expect(gradient.reads).toBe(0);
    expect(forward.programs).toBe(2);  // nudge, quantize
    expect(gradient.programs).toBe(4);  // nudge, input gradient, partial sums, totals
    const r = gradient.result;
    const ref = refFakeQuantVarsGradient(dy.dataSync(), x.dataSync(), -1.5, 2);
    expect(firstMismatch(r.backpropsWrtInput.dataSync(), ref.backpropsWrtInput)).toBeNull();
    const terms = refRangeGradientTerms(dy.dataSync(), x.dataSync(), [-1.5], [2]);
    expect(sumsMismatch(r.backpropWrtMin.dataSync(), [ref.backpropWrtMin], terms.below)).toBeNull();
    expect(sumsMismatch(r.backpropWrtMax.dataSync(), [ref.backpropWrtMax], terms.above)).toBeNull();
    expect(firstMismatch(forward.result.dataSync(), refFakeQuantVars(x.dataSync(), -1.5, 2)))
        .toBeNull();
    tf.dispose([x, dy, min, max, forward.result, r.backpropsWrtInput, r.backpropWrtMin,
                r.backpropWrtMax]);
  });

  it('gives the same results through tfjs\'s small-tensor CPU forwarding (all three ops)', async () => {
    await useWebGL({WEBGL_CPU_FORWARD: true});
    const x = new Float32Array([-1.2, -1, -0.5, 0, 0.3, 0.99, 1, 1.7]);
    const dy = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const op of ['Vars', 'Args', 'PerChannel'] as const) {
      const p = op === 'PerChannel' ?
          {shape: [4, 2], x, dy, mins: [-1, 0], maxs: [1, 0], numBits: 8, narrowRange: false} :
          {shape: [8], x, dy, mins: [-1], maxs: [1], numBits: 8, narrowRange: false};
      expect(await compareWithReference(op, p, true)).withContext(op).toBeNull();
    }
    await useWebGL();
  });

  it('warns once that float16 render targets cannot match TensorFlow', async () => {
    await useWebGL({WEBGL_RENDER_FLOAT32_ENABLED: false});
    const warn = spyOn(console, 'warn');
    const x = tf.tensor1d([-1.2, 0, 0.3, 1.7]);
    tf.dispose([fakeQuantWithMinMaxVars(x, -1, 1), fakeQuantWithMinMaxVars(x, -1, 1), x]);
    const ours = warn.calls.allArgs().filter(args => String(args[0]).includes('float16'));
    expect(ours.length).toBe(1);
    await useWebGL();
  });
});
