import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';

import {FakeQuantWithMinMaxVarsPerChannelGradient, type FakeQuantWithMinMaxVarsPerChannelGradientAttrs, type FakeQuantWithMinMaxVarsPerChannelGradientInputs} from '../../kernel_names';
import {cpuFakeQuantGradient, tensorRange} from './cpu_util';

/** Returns [backpropsWrtInput, backpropWrtMin [d], backpropWrtMax [d]], all from one pass. */
export function fakeQuantWithMinMaxVarsPerChannelGradient(args: {
  inputs: FakeQuantWithMinMaxVarsPerChannelGradientInputs,
  backend: MathBackendCPU,
  attrs: FakeQuantWithMinMaxVarsPerChannelGradientAttrs,
}): TensorInfo[] {
  const {inputs: {gradients, inputs: x, min, max}, backend, attrs} = args;
  return cpuFakeQuantGradient(
      backend, gradients!, x!, tensorRange(backend, min!, max!), min!.shape, attrs);
}

export const fakeQuantWithMinMaxVarsPerChannelGradientConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxVarsPerChannelGradient,
  backendName: 'cpu',
  kernelFunc: fakeQuantWithMinMaxVarsPerChannelGradient as unknown as KernelFunc,
};
