import {engine, type GradConfig, type NamedAttrMap, type NamedTensorMap, type Tensor} from '@tensorflow/tfjs-core';

import {FakeQuantWithMinMaxVars, FakeQuantWithMinMaxVarsGradient} from '../kernel_names';

/**
 * A gradient config for a forward op with range tensors (Vars, PerChannel), routed through its
 * gradient kernel as in TF's array_ops.py. The kernel runs once per backward pass (not once per
 * input); the engine's backward tidy disposes the outputs nobody asked for.
 */
export function rangeTensorGradConfig(forwardKernel: string, gradientKernel: string): GradConfig {
  return {
    kernelName: forwardKernel,
    inputsToSave: ['inputs', 'min', 'max'],
    gradFunc: (dy: Tensor|Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [inputs, min, max] = saved;
      const [dInputs, dMin, dMax] = engine().runKernel<Tensor[]>(
          gradientKernel, {gradients: dy as Tensor, inputs, min, max} as NamedTensorMap, attrs);
      return {inputs: () => dInputs, min: () => dMin, max: () => dMax};
    },
  };
}

export const fakeQuantWithMinMaxVarsGradConfig =
    rangeTensorGradConfig(FakeQuantWithMinMaxVars, FakeQuantWithMinMaxVarsGradient);
