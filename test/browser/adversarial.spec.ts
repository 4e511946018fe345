/**
 * Bad and unusual input on the webgl backend (WebGL2 on SwiftShader): the adversarial cases every
 * backend runs (test/webgpu/adversarial_cases.ts: errors naming the op and argument, the float32
 * reference's answer for every odd but valid input, no tensor left behind), and int32 / bool
 * arguments that live on the GPU (outputs of tfjs's own int32 programs), next to an unrelated
 * tf.add.
 */
import {fakeQuantWithMinMaxVars, fakeQuantWithMinMaxVarsGradient} from '../../src';
import {firstMismatch} from '../shared/compare';
import {refFakeQuantVars, refFakeQuantVarsGradient} from '../shared/reference';
import {adversarialCases, checkCase} from '../webgpu/adversarial_cases';
import {tf, useWebGL} from './webgl_setup';

describe('webgl2: adversarial input', () => {
  beforeAll(async () => {
    await useWebGL();
  });

  for (const c of adversarialCases({complex64: true})) {
    it(c.label, async () => {
      expect(await checkCase(c)).toBeNull();
    });
  }
});

describe('webgl2: int32 and bool arguments computed on the GPU', () => {
  beforeAll(async () => {
    await useWebGL();
  });

  it('Vars forward and gradient read them as numbers; an unrelated add stays right', async () => {
    const before = tf.memory().numTensors;
    const floats = Float32Array.from({length: 2000}, (_, i) => (i % 9) - 4.5);
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.tensor1d([10, 20, 30]);
    const source = tf.tensor1d(floats);
    // int32 and bool tensors written by GPU programs (truncation, comparison), not uploaded.
    const [x, dy, min] = tf.tidy(() => [
      tf.cast(tf.mul(source, 1), 'int32'), tf.greater(source, 0),
      tf.cast(tf.mul(tf.scalar(-2.7), 1), 'int32'),
    ]);
    const y = fakeQuantWithMinMaxVars(x, min, 2);
    const g = fakeQuantWithMinMaxVarsGradient(dy, x, min, 2);
    const sum = tf.add(a, b);
    const ints = Float32Array.from(floats, v => Math.trunc(v));
    const bools = Float32Array.from(floats, v => v > 0 ? 1 : 0);
    expect(firstMismatch(await y.data(), refFakeQuantVars(ints, -2, 2))).toBeNull();
    const ref = refFakeQuantVarsGradient(bools, ints, -2, 2);
    expect(firstMismatch(await g.backpropsWrtInput.data(), ref.backpropsWrtInput)).toBeNull();
    // 0/1 gradients: the sums are exact in any order.
    expect(Array.from(await g.backpropWrtMin.data())).toEqual([ref.backpropWrtMin]);
    expect(Array.from(await g.backpropWrtMax.data())).toEqual([ref.backpropWrtMax]);
    expect(Array.from(await sum.data())).toEqual([11, 22, 33]);
    tf.dispose([a, b, source, x, dy, min, y, g.backpropsWrtInput, g.backpropWrtMin,
                g.backpropWrtMax, sum]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
