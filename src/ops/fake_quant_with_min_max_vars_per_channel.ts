import {engine, type NamedAttrMap, type NamedTensorMap, op, type Tensor, type Tensor1D, type TensorLike} from '@tensorflow/tfjs-core';

import {FakeQuantWithMinMaxVarsPerChannel, type FakeQuantWithMinMaxVarsPerChannelAttrs, type FakeQuantWithMinMaxVarsPerChannelInputs} from '../kernel_names';
import {DEFAULT_NARROW_RANGE, DEFAULT_NUM_BITS} from '../quant/defaults';
import {assertPerChannelRange, assertQuantAttrs, toFloat32Tensor} from './op_utils';

const OP_NAME = 'fakeQuantWithMinMaxVarsPerChannel';

/**
 * Fake-quantizes each channel (the last dimension) of `inputs` over its own range, as
 * TensorFlow's `tf.quantization.fake_quant_with_min_max_vars_per_channel`.
 *
 * ```js
 * const w = tf.randomNormal([3, 3, 16, 32]);
 * fakeQuantWithMinMaxVarsPerChannel(w, w.min([0, 1, 2]), w.max([0, 1, 2]), 8, true);
 * ```
 *
 * @param inputs Values to quantize, of rank >= 1; the last dimension holds the channels.
 * @param min 1-D lower bounds, one per channel (a tf.Variable to learn them).
 * @param max 1-D upper bounds, one per channel.
 * @param numBits Bit width, an integer in 2..16. Default 8.
 * @param narrowRange Quantize to [1, 2^numBits - 1] instead of [0, 2^numBits - 1]. Default false.
 */
function fakeQuantWithMinMaxVarsPerChannel_<T extends Tensor>(
    inputs: T|TensorLike, min: Tensor1D|TensorLike, max: Tensor1D|TensorLike, numBits = DEFAULT_NUM_BITS,
    narrowRange = DEFAULT_NARROW_RANGE): T {
  assertQuantAttrs(numBits, narrowRange, OP_NAME);
  const $inputs = toFloat32Tensor(inputs, 'inputs', OP_NAME);
  const $min = toFloat32Tensor(min, 'min', OP_NAME);
  const $max = toFloat32Tensor(max, 'max', OP_NAME);
  assertPerChannelRange($inputs, $min, $max, OP_NAME);
  const kernelInputs: FakeQuantWithMinMaxVarsPerChannelInputs =
      {inputs: $inputs, min: $min, max: $max};
  const attrs: FakeQuantWithMinMaxVarsPerChannelAttrs = {numBits, narrowRange};
  return engine().runKernel(
      FakeQuantWithMinMaxVarsPerChannel, kernelInputs as unknown as NamedTensorMap,
      attrs as unknown as NamedAttrMap);
}

export const fakeQuantWithMinMaxVarsPerChannel = op({fakeQuantWithMinMaxVarsPerChannel_});
