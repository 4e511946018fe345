import {engine, type NamedAttrMap, type NamedTensorMap, op, type Scalar, type Tensor, type TensorLike} from '@tensorflow/tfjs-core';

import {FakeQuantWithMinMaxVars, type FakeQuantWithMinMaxVarsAttrs, type FakeQuantWithMinMaxVarsInputs} from '../kernel_names';
import {DEFAULT_NARROW_RANGE, DEFAULT_NUM_BITS} from '../quant/defaults';
import {assertQuantAttrs, assertScalar, toFloat32Tensor} from './op_utils';

const OP_NAME = 'fakeQuantWithMinMaxVars';
export const PER_CHANNEL_HINT = ' For one range per channel use fakeQuantWithMinMaxVarsPerChannel.';

/**
 * Fake-quantizes `inputs` to `numBits` bits over the range [min, max], nudged so that 0 is exactly
 * representable, as TensorFlow's `tf.quantization.fake_quant_with_min_max_vars`.
 *
 * ```js
 * const x = tf.tensor1d([-1.2, 0, 0.3, 1.7]);
 * fakeQuantWithMinMaxVars(x, -1, 1).print();  // [-0.9960785, 0, 0.2980392, 1.0039216]
 * ```
 *
 * @param inputs Values to quantize (any shape; float32, int32 and bool are accepted).
 * @param min Scalar lower bound of the range (a number, or a tf.Variable to learn it).
 * @param max Scalar upper bound of the range.
 * @param numBits Bit width, an integer in 2..16. Default 8.
 * @param narrowRange Quantize to [1, 2^numBits - 1] instead of [0, 2^numBits - 1]. Default false.
 */
function fakeQuantWithMinMaxVars_<T extends Tensor>(
    inputs: T|TensorLike, min: Scalar|number, max: Scalar|number, numBits = DEFAULT_NUM_BITS,
    narrowRange = DEFAULT_NARROW_RANGE): T {
  assertQuantAttrs(numBits, narrowRange, OP_NAME);
  const $inputs = toFloat32Tensor(inputs, 'inputs', OP_NAME);
  const $min = toFloat32Tensor(min, 'min', OP_NAME);
  const $max = toFloat32Tensor(max, 'max', OP_NAME);
  assertScalar($min, 'min', OP_NAME, PER_CHANNEL_HINT);
  assertScalar($max, 'max', OP_NAME, PER_CHANNEL_HINT);

  const kernelInputs: FakeQuantWithMinMaxVarsInputs = {inputs: $inputs, min: $min, max: $max};
  const attrs: FakeQuantWithMinMaxVarsAttrs = {numBits, narrowRange};
  return engine().runKernel(
      FakeQuantWithMinMaxVars, kernelInputs as unknown as NamedTensorMap,
      attrs as unknown as NamedAttrMap);
}

export const fakeQuantWithMinMaxVars = op({fakeQuantWithMinMaxVars_});
