/**
 * What the webgl and webgpu kernel bodies read from a kernel's spec and arguments, checked where
 * jest (and so StrykerJS) runs: the channel count, the range's tensors, the outputs of an empty
 * input. The cpu and wasm kernels take the channel count from the range's values instead, so the
 * backend matrix on them cannot see these; the GPU suites run them, outside jest.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type {NamedTensorInfoMap, TensorInfo} from '@tensorflow/tfjs-core';

import {emptyOutputs} from '../../src/kernels/cpu_compute';
import {FAKE_QUANT_KERNEL_SPECS, kernelArgs, rangeTensors} from '../../src/kernels/kernel_spec';

const SPECS = FAKE_QUANT_KERNEL_SPECS;
const ATTRS = {numBits: 8, narrowRange: false, min: -1, max: 2};

beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
});

/** The inputs TF gives the kernel `name` for x of `shape` and a range of `channels` entries. */
function inputsFor(name: string, shape: number[], channels: number): NamedTensorInfoMap {
  const inputs: Record<string, tf.Tensor> = {inputs: tf.zeros(shape)};
  if (name.endsWith('Gradient')) inputs.gradients = tf.ones(shape);
  if (!name.includes('Args')) {
    const rangeShape = name.includes('PerChannel') ? [channels] : [];
    inputs.min = tf.fill(rangeShape, -1);
    inputs.max = tf.fill(rangeShape, 2);
  }
  return inputs;
}

describe('kernel specs', () => {
  it('give one range per innermost channel for PerChannel only, read from tensors except for Args', () => {
    tf.tidy(() => {
      for (const spec of Object.values(SPECS)) {
        const inputs = inputsFor(spec.kernelName, [2, 3, 5], 5);
        const {x, dy, range} = kernelArgs(spec, inputs, ATTRS);
        expect(x).toBe(inputs.inputs);
        expect(dy).toBe(spec.kernelName.endsWith('Gradient') ? inputs.gradients : null);
        const perChannel = spec.kernelName.includes('PerChannel');
        expect(range.channels).toBe(perChannel ? 5 : 1);
        if (spec.kernelName.includes('Args')) {
          expect(range).toEqual({from: 'attributes', min: -1, max: 2, channels: 1, shape: []});
          expect(rangeTensors(range)).toEqual([]);
        } else {
          expect(range.from).toBe('tensors');
          expect(range.shape).toEqual(perChannel ? [5] : []);
          expect(rangeTensors(range)).toEqual([inputs.min, inputs.max]);
        }
      }
    });
  });

  it('answer an empty input with empty outputs and range gradients of zero, in the spec\'s order', () => {
    const made: Array<{shape: number[], values: Float32Array}> = [];
    const maker = {
      makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo {
        expect(dtype).toBe('float32');
        made.push({shape, values});
        return {dataId: {}, shape, dtype};
      },
    };
    tf.tidy(() => {
      for (const spec of Object.values(SPECS)) {
        made.length = 0;
        const args = kernelArgs(spec, inputsFor(spec.kernelName, [0, 4], 4), ATTRS);
        const outputs = emptyOutputs(maker, spec, args);
        const rangeShape = spec.kernelName.includes('PerChannel') ? [4] : [];
        const rangeGradients = spec.kernelName.endsWith('Gradient') && !spec.kernelName.includes('Args');
        const expected = rangeGradients ? [[0, 4], rangeShape, rangeShape] : [[0, 4]];
        expect(outputs.map(o => o.shape)).toEqual(expected);
        expect(made.map(m => Array.from(m.values))).toEqual(
            expected.map(shape => new Array(shape.reduce((a, b) => a * b, 1)).fill(0)));
      }
    });
  });
});
