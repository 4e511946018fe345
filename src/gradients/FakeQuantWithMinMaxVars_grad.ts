import {engine, GradConfig, NamedAttrMap, NamedTensorMap, Tensor} from '@tensorflow/tfjs-core';

import {FakeQuantWithMinMaxVars, FakeQuantWithMinMaxVarsGradient} from '../kernel_names';

/**
 * Routes tf.grad through the gradient kernel, as TF's array_ops.py does. The kernel runs once per
 * backward pass (not once per input); the engine's backward tidy disposes the outputs not used.
 */
export const fakeQuantWithMinMaxVarsGradConfig: GradConfig = {
  kernelName: FakeQuantWithMinMaxVars,
  inputsToSave: ['inputs', 'min', 'max'],
  gradFunc: (dy: Tensor|Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [inputs, min, max] = saved;
    const [dInputs, dMin, dMax] = engine().runKernel<Tensor[]>(
        FakeQuantWithMinMaxVarsGradient, {gradients: dy as Tensor, inputs, min, max} as NamedTensorMap,
        attrs);
    return {inputs: () => dInputs, min: () => dMin, max: () => dMax};
  },
};
