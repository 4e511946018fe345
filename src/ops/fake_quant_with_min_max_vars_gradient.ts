import {op, type Scalar, type Tensor, type TensorLike} from '@tensorflow/tfjs-core';

import {FakeQuantWithMinMaxVarsGradient, type FakeQuantWithMinMaxVarsGradientAttrs} from '../kernel_names';
import {DEFAULT_NARROW_RANGE, DEFAULT_NUM_BITS} from '../quant/defaults';
import {PER_CHANNEL_HINT} from './fake_quant_with_min_max_vars';
import {assertQuantAttrs, assertScalar, runRangeGradientKernel, toGradientKernelInputs} from './op_utils';

const OP_NAME = 'fakeQuantWithMinMaxVarsGradient';

export interface FakeQuantWithMinMaxVarsGradientResult<T extends Tensor = Tensor> {
  /** `gradients` where `inputs` lies in the nudged range (inclusive), else 0. */
  backpropsWrtInput: T;
  /** Sum of `gradients` where `inputs` is below the nudged minimum. */
  backpropWrtMin: Scalar;
  /** Sum of `gradients` where `inputs` is above the nudged maximum. */
  backpropWrtMax: Scalar;
}

/**
 * TensorFlow's `FakeQuantWithMinMaxVarsGradient`: the backward pass of
 * `fakeQuantWithMinMaxVars`, computing all three gradients in one kernel run.
 *
 * @param gradients Gradients flowing back into the op's output (the shape of `inputs`).
 * @param inputs The forward op's inputs.
 * @param min Scalar lower bound of the range.
 * @param max Scalar upper bound of the range.
 * @param numBits Bit width, an integer in 2..16. Default 8.
 * @param narrowRange Whether the forward op used [1, 2^numBits - 1]. Default false.
 */
function fakeQuantWithMinMaxVarsGradient_<T extends Tensor>(
    gradients: T|TensorLike, inputs: T|TensorLike, min: Scalar|number, max: Scalar|number,
    numBits = DEFAULT_NUM_BITS, narrowRange = DEFAULT_NARROW_RANGE): FakeQuantWithMinMaxVarsGradientResult<T> {
  assertQuantAttrs(numBits, narrowRange, OP_NAME);
  const kernelInputs = toGradientKernelInputs(gradients, inputs, min, max, OP_NAME);
  assertScalar(kernelInputs.min, 'min', OP_NAME, PER_CHANNEL_HINT);
  assertScalar(kernelInputs.max, 'max', OP_NAME, PER_CHANNEL_HINT);
  const attrs: FakeQuantWithMinMaxVarsGradientAttrs = {numBits, narrowRange};
  return runRangeGradientKernel(FakeQuantWithMinMaxVarsGradient, kernelInputs, attrs);
}

export const fakeQuantWithMinMaxVarsGradient = op({fakeQuantWithMinMaxVarsGradient_});
