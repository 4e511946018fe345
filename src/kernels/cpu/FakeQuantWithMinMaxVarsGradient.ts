import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';

import {FakeQuantWithMinMaxVarsGradient, FakeQuantWithMinMaxVarsGradientAttrs, FakeQuantWithMinMaxVarsGradientInputs} from '../../kernel_names';
import {fakeQuantGradientImpl} from '../../quant/fake_quant_impl';
import {cpuValues} from './cpu_util';

/** Returns [backpropsWrtInput, backpropWrtMin, backpropWrtMax], all from one pass. */
export function fakeQuantWithMinMaxVarsGradient(args: {
  inputs: FakeQuantWithMinMaxVarsGradientInputs,
  backend: MathBackendCPU,
  attrs: FakeQuantWithMinMaxVarsGradientAttrs,
}): TensorInfo[] {
  const {inputs: {gradients, inputs: x, min, max}, backend, attrs} = args;
  const grads = fakeQuantGradientImpl(
      cpuValues(backend, gradients!), cpuValues(backend, x!), cpuValues(backend, min!),
      cpuValues(backend, max!), attrs);
  return [
    backend.makeTensorInfo(x!.shape, 'float32', grads.backpropsWrtInput),
    backend.makeTensorInfo(min!.shape, 'float32', grads.backpropWrtMin),
    backend.makeTensorInfo(max!.shape, 'float32', grads.backpropWrtMax),
  ];
}

export const fakeQuantWithMinMaxVarsGradientConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxVarsGradient,
  backendName: 'cpu',
  kernelFunc: fakeQuantWithMinMaxVarsGradient as unknown as KernelFunc,
};
