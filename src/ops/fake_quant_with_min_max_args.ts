import {engine, type NamedAttrMap, type NamedTensorMap, op, type Tensor, type TensorLike} from '@tensorflow/tfjs-core';

import {FakeQuantWithMinMaxArgs, type FakeQuantWithMinMaxArgsAttrs, type FakeQuantWithMinMaxArgsInputs} from '../kernel_names';
import {DEFAULT_MAX, DEFAULT_MIN, DEFAULT_NARROW_RANGE, DEFAULT_NUM_BITS} from '../quant/defaults';
import {assertArgsRange, assertQuantAttrs, toFloat32Tensor} from './op_utils';

const OP_NAME = 'fakeQuantWithMinMaxArgs';

/**
 * Fake-quantizes `inputs` over the fixed range [min, max] (attributes, not tensors), as
 * TensorFlow's `tf.quantization.fake_quant_with_min_max_args`.
 *
 * ```js
 * fakeQuantWithMinMaxArgs(tf.tensor1d([-7, 0.1, 6.2]), -6, 6).print();
 * ```
 *
 * @param inputs Values to quantize (any shape).
 * @param min Lower bound of the range, a number smaller than `max`. Default -6.
 * @param max Upper bound of the range. Default 6.
 * @param numBits Bit width, an integer in 2..16. Default 8.
 * @param narrowRange Quantize to [1, 2^numBits - 1] instead of [0, 2^numBits - 1]. Default false.
 */
function fakeQuantWithMinMaxArgs_<T extends Tensor>(
    inputs: T|TensorLike, min = DEFAULT_MIN, max = DEFAULT_MAX, numBits = DEFAULT_NUM_BITS,
    narrowRange = DEFAULT_NARROW_RANGE): T {
  assertQuantAttrs(numBits, narrowRange, OP_NAME);
  assertArgsRange(min, max, OP_NAME);
  const kernelInputs: FakeQuantWithMinMaxArgsInputs =
      {inputs: toFloat32Tensor(inputs, 'inputs', OP_NAME)};
  const attrs: FakeQuantWithMinMaxArgsAttrs = {min, max, numBits, narrowRange};
  return engine().runKernel(
      FakeQuantWithMinMaxArgs, kernelInputs as unknown as NamedTensorMap,
      attrs as unknown as NamedAttrMap);
}

export const fakeQuantWithMinMaxArgs = op({fakeQuantWithMinMaxArgs_});
