import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';

import {FakeQuantWithMinMaxVarsGradient, type FakeQuantWithMinMaxVarsGradientAttrs, type FakeQuantWithMinMaxVarsGradientInputs} from '../../kernel_names';
import {cpuFakeQuantGradient, tensorRange} from './cpu_util';

/** Returns [backpropsWrtInput, backpropWrtMin, backpropWrtMax], all from one pass. */
export function fakeQuantWithMinMaxVarsGradient(args: {
  inputs: FakeQuantWithMinMaxVarsGradientInputs,
  backend: MathBackendCPU,
  attrs: FakeQuantWithMinMaxVarsGradientAttrs,
}): TensorInfo[] {
  const {inputs: {gradients, inputs: x, min, max}, backend, attrs} = args;
  return cpuFakeQuantGradient(
      backend, gradients!, x!, tensorRange(backend, min!, max!), min!.shape, attrs);
}

export const fakeQuantWithMinMaxVarsGradientConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxVarsGradient,
  backendName: 'cpu',
  kernelFunc: fakeQuantWithMinMaxVarsGradient as unknown as KernelFunc,
};
