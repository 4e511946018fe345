import {op, type Tensor, type Tensor1D, type TensorLike} from '@tensorflow/tfjs-core';

import {FakeQuantWithMinMaxVarsPerChannelGradient, type FakeQuantWithMinMaxVarsPerChannelGradientAttrs} from '../kernel_names';
import {DEFAULT_NARROW_RANGE, DEFAULT_NUM_BITS} from '../quant/defaults';
import {assertPerChannelRange, assertQuantAttrs, runRangeGradientKernel, toGradientKernelInputs} from './op_utils';

const OP_NAME = 'fakeQuantWithMinMaxVarsPerChannelGradient';

export interface FakeQuantWithMinMaxVarsPerChannelGradientResult<T extends Tensor = Tensor> {
  /** `gradients` where `inputs` lies in its channel's nudged range (inclusive), else 0. */
  backpropsWrtInput: T;
  /** Per channel, the sum of `gradients` where `inputs` is below the nudged minimum. */
  backpropWrtMin: Tensor1D;
  /** Per channel, the sum of `gradients` where `inputs` is above the nudged maximum. */
  backpropWrtMax: Tensor1D;
}

/**
 * TensorFlow's `FakeQuantWithMinMaxVarsPerChannelGradient`: the backward pass of
 * `fakeQuantWithMinMaxVarsPerChannel`, all three gradients from one kernel run.
 *
 * @param gradients Gradients flowing back into the op's output (the shape of `inputs`).
 * @param inputs The forward op's inputs, of rank >= 1.
 * @param min 1-D lower bounds, one per channel (the last dimension).
 * @param max 1-D upper bounds, one per channel.
 * @param numBits Bit width, an integer in 2..16. Default 8.
 * @param narrowRange Whether the forward op used [1, 2^numBits - 1]. Default false.
 */
function fakeQuantWithMinMaxVarsPerChannelGradient_<T extends Tensor>(
    gradients: T|TensorLike, inputs: T|TensorLike, min: Tensor1D|TensorLike,
    max: Tensor1D|TensorLike, numBits = DEFAULT_NUM_BITS,
    narrowRange = DEFAULT_NARROW_RANGE): FakeQuantWithMinMaxVarsPerChannelGradientResult<T> {
  assertQuantAttrs(numBits, narrowRange, OP_NAME);
  const kernelInputs = toGradientKernelInputs(gradients, inputs, min, max, OP_NAME);
  assertPerChannelRange(kernelInputs.inputs, kernelInputs.min, kernelInputs.max, OP_NAME);
  const attrs: FakeQuantWithMinMaxVarsPerChannelGradientAttrs = {numBits, narrowRange};
  return runRangeGradientKernel(FakeQuantWithMinMaxVarsPerChannelGradient, kernelInputs, attrs);
}

export const fakeQuantWithMinMaxVarsPerChannelGradient =
    op({fakeQuantWithMinMaxVarsPerChannelGradient_});
