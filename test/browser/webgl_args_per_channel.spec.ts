/**
 * What only the webgl Args / PerChannel kernels have (the matrix itself: webgl_matrix.spec.ts):
 * at 1e6 elements no read back to the CPU, 2 forward programs, PerChannel gradient 4 (with 4 and
 * with 1000 channels) and Args gradient 2, with results equal to the float32 reference (range
 * sums as the reference's terms added in another order; integer gradients: exactly).
 */
import {fakeQuantWithMinMaxArgs, fakeQuantWithMinMaxArgsGradient, fakeQuantWithMinMaxVarsPerChannel, fakeQuantWithMinMaxVarsPerChannelGradient} from '../../src';
import {forwardReport} from '../shared/backend_suite';
import {firstMismatch, sumsMismatch} from '../shared/compare';
import {type Problem, refFakeQuantArgs, refFakeQuantArgsGradient, refFakeQuantPerChannel, refFakeQuantPerChannelGradient, refRangeGradientTerms} from '../shared/reference';
import {countGpuWork, tf, useWebGL} from './webgl_setup';

describe('webgl Args / PerChannel passes, reads and memory', () => {
  beforeAll(async () => useWebGL());

  for (const [shape, label] of [[[1000, 1000], '1000 channels'], [[250000, 4], '4 channels']] as
       Array<[number[], string]>) {
    it(`PerChannel at 1e6 elements (${label}): 2 forward and 4 gradient programs, no reads`,
       () => {
         const channels = shape[1];
         const x = tf.randomUniform(shape, -3, 3);
         const dy = tf.floor(tf.randomUniform(shape, -4, 5));  // integers: exact sums in any order
         const minValues = Array.from({length: channels}, (_, c) => c % 7 === 3 ? 0 : -1.5 + (c % 5) * 0.25);
         const maxValues = Array.from({length: channels}, (_, c) => c % 7 === 3 ? 0 : 2 - (c % 3) * 0.5);
         const min = tf.variable(tf.tensor1d(minValues));
         const max = tf.variable(tf.tensor1d(maxValues));
         // Uploading CPU data runs an encode program: count after the first (uploading) call.
         const warmUp = fakeQuantWithMinMaxVarsPerChannelGradient(dy, x, min, max);
         tf.dispose([fakeQuantWithMinMaxVarsPerChannel(x, min, max), ...Object.values(warmUp)]);
         const forward = countGpuWork(() => fakeQuantWithMinMaxVarsPerChannel(x, min, max));
         const gradient = countGpuWork(() => fakeQuantWithMinMaxVarsPerChannelGradient(dy, x, min, max));
         expect(forward.reads).toBe(0);
         expect(gradient.reads).toBe(0);
         expect(forward.programs).toBe(2);  // nudge, quantize
         expect(gradient.programs).toBe(4);  // nudge, input gradient, partial sums, totals

         const xs = x.dataSync() as Float32Array;
         const dys = dy.dataSync() as Float32Array;
         const p: Problem = {shape, x: xs, dy: dys, mins: minValues, maxs: maxValues, numBits: 8,
                             narrowRange: false};
         expect(forwardReport(forward.result.dataSync() as Float32Array,
                              refFakeQuantPerChannel(xs, minValues, maxValues), p))
             .toBeNull();
         const r = gradient.result;
         const ref = refFakeQuantPerChannelGradient(dys, xs, minValues, maxValues);
         expect(firstMismatch(r.backpropsWrtInput.dataSync(), ref.backpropsWrtInput)).toBeNull();
         const dMin = r.backpropWrtMin.dataSync();
         const dMax = r.backpropWrtMax.dataSync();
         const terms = refRangeGradientTerms(dys, xs, minValues, maxValues);
         expect(sumsMismatch(dMin, ref.backpropWrtMin, terms.below)).toBeNull();
         expect(sumsMismatch(dMax, ref.backpropWrtMax, terms.above)).toBeNull();
         // Not vacuous: most channels have non-zero range gradients.
         expect(Array.from(ref.backpropWrtMin).filter(v => v !== 0).length).toBeGreaterThan(channels / 2);
         tf.dispose([x, dy, min, max, forward.result, r.backpropsWrtInput, r.backpropWrtMin,
                     r.backpropWrtMax]);
       });
  }

  it('Args at 1e6 elements: 2 forward and 2 gradient programs, no reads', () => {
    const x = tf.randomUniform([1000, 1000], -3, 3);
    const dy = tf.randomUniform([1000, 1000], -1, 1);
    tf.dispose([fakeQuantWithMinMaxArgs(x, -1.5, 2), fakeQuantWithMinMaxArgsGradient(dy, x, -1.5, 2)]);
    const forward = countGpuWork(() => fakeQuantWithMinMaxArgs(x, -1.5, 2, 6, true));
    const gradient = countGpuWork(() => fakeQuantWithMinMaxArgsGradient(dy, x, -1.5, 2, 6, true));
    expect(forward.reads).toBe(0);
    expect(gradient.reads).toBe(0);
    expect(forward.programs).toBe(2);   // nudge, quantize
    expect(gradient.programs).toBe(2);  // nudge, input gradient
    const xs = x.dataSync() as Float32Array;
    const p: Problem = {shape: [1000, 1000], x: xs, dy: new Float32Array(0), mins: [-1.5],
                        maxs: [2], numBits: 6, narrowRange: true};
    expect(forwardReport(forward.result.dataSync() as Float32Array,
                         refFakeQuantArgs(xs, -1.5, 2, 6, true), p))
        .toBeNull();
    expect(firstMismatch(gradient.result.dataSync(),
                         refFakeQuantArgsGradient(dy.dataSync(), xs, -1.5, 2, 6, true)))
        .toBeNull();
    tf.dispose([x, dy, forward.result, gradient.result]);
  });
});
