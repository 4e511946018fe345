import {engine, type NamedAttrMap, type NamedTensorMap, op, type Tensor, type TensorLike} from '@tensorflow/tfjs-core';

import {FakeQuantWithMinMaxArgsGradient, type FakeQuantWithMinMaxArgsGradientAttrs, type FakeQuantWithMinMaxArgsGradientInputs} from '../kernel_names';
import {DEFAULT_MAX, DEFAULT_MIN, DEFAULT_NARROW_RANGE, DEFAULT_NUM_BITS} from '../quant/defaults';
import {assertArgsRange, assertQuantAttrs, assertSameShape, toFloat32Tensor} from './op_utils';

const OP_NAME = 'fakeQuantWithMinMaxArgsGradient';

/**
 * TensorFlow's `FakeQuantWithMinMaxArgsGradient`: `gradients` where `inputs` lies in the nudged
 * range (inclusive), else 0. Args' range is fixed, so there are no min/max gradients.
 *
 * @param gradients Gradients flowing back into the op's output (the shape of `inputs`).
 * @param inputs The forward op's inputs.
 * @param min Lower bound of the range, a number smaller than `max`. Default -6.
 * @param max Upper bound of the range. Default 6.
 * @param numBits Bit width, an integer in 2..16. Default 8.
 * @param narrowRange Whether the forward op used [1, 2^numBits - 1]. Default false.
 */
function fakeQuantWithMinMaxArgsGradient_<T extends Tensor>(
    gradients: T|TensorLike, inputs: T|TensorLike, min = DEFAULT_MIN, max = DEFAULT_MAX, numBits = DEFAULT_NUM_BITS,
    narrowRange = DEFAULT_NARROW_RANGE): T {
  assertQuantAttrs(numBits, narrowRange, OP_NAME);
  assertArgsRange(min, max, OP_NAME);
  const $gradients = toFloat32Tensor(gradients, 'gradients', OP_NAME);
  const $inputs = toFloat32Tensor(inputs, 'inputs', OP_NAME);
  assertSameShape($gradients, $inputs, 'gradients', 'inputs', OP_NAME);
  const kernelInputs: FakeQuantWithMinMaxArgsGradientInputs =
      {gradients: $gradients, inputs: $inputs};
  const attrs: FakeQuantWithMinMaxArgsGradientAttrs = {min, max, numBits, narrowRange};
  return engine().runKernel(
      FakeQuantWithMinMaxArgsGradient, kernelInputs as unknown as NamedTensorMap,
      attrs as unknown as NamedAttrMap);
}

export const fakeQuantWithMinMaxArgsGradient = op({fakeQuantWithMinMaxArgsGradient_});
