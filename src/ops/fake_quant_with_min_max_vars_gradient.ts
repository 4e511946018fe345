import {engine, NamedAttrMap, NamedTensorMap, op, Scalar, Tensor, TensorLike} from '@tensorflow/tfjs-core';

import {FakeQuantWithMinMaxVarsGradient, FakeQuantWithMinMaxVarsGradientAttrs, FakeQuantWithMinMaxVarsGradientInputs} from '../kernel_names';
import {PER_CHANNEL_HINT} from './fake_quant_with_min_max_vars';
import {assertQuantAttrs, assertSameShape, assertScalar, toFloat32Tensor} from './op_utils';

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
    numBits = 8, narrowRange = false): FakeQuantWithMinMaxVarsGradientResult<T> {
  assertQuantAttrs(numBits, narrowRange, OP_NAME);
  const $gradients = toFloat32Tensor(gradients, 'gradients', OP_NAME);
  const $inputs = toFloat32Tensor(inputs, 'inputs', OP_NAME);
  const $min = toFloat32Tensor(min, 'min', OP_NAME);
  const $max = toFloat32Tensor(max, 'max', OP_NAME);
  assertSameShape($gradients, $inputs, 'gradients', 'inputs', OP_NAME);
  assertScalar($min, 'min', OP_NAME, PER_CHANNEL_HINT);
  assertScalar($max, 'max', OP_NAME, PER_CHANNEL_HINT);

  const kernelInputs: FakeQuantWithMinMaxVarsGradientInputs =
      {gradients: $gradients, inputs: $inputs, min: $min, max: $max};
  const attrs: FakeQuantWithMinMaxVarsGradientAttrs = {numBits, narrowRange};
  const [backpropsWrtInput, backpropWrtMin, backpropWrtMax] = engine().runKernel<Tensor[]>(
      FakeQuantWithMinMaxVarsGradient, kernelInputs as unknown as NamedTensorMap,
      attrs as unknown as NamedAttrMap);
  return {
    backpropsWrtInput: backpropsWrtInput as T,
    backpropWrtMin: backpropWrtMin as Scalar,
    backpropWrtMax: backpropWrtMax as Scalar,
  };
}

export const fakeQuantWithMinMaxVarsGradient = op({fakeQuantWithMinMaxVarsGradient_});
