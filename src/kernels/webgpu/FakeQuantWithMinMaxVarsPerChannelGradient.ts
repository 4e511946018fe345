import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {FakeQuantWithMinMaxVarsPerChannelGradient, type FakeQuantWithMinMaxVarsPerChannelGradientAttrs, type FakeQuantWithMinMaxVarsPerChannelGradientInputs} from '../../kernel_names';
import {webgpuFakeQuantGradient} from './fake_quant_webgpu';

/** [backpropsWrtInput, backpropWrtMin [d], backpropWrtMax [d]]: one fused dispatch (+ one combine). */
export function fakeQuantWithMinMaxVarsPerChannelGradient(args: {
  inputs: FakeQuantWithMinMaxVarsPerChannelGradientInputs,
  backend: WebGPUBackend,
  attrs: FakeQuantWithMinMaxVarsPerChannelGradientAttrs,
}): TensorInfo[] {
  const {inputs: {gradients, inputs: x, min, max}, backend, attrs} = args;
  return webgpuFakeQuantGradient(backend, gradients!, x!, min!, max!, true, attrs);
}

export const fakeQuantWithMinMaxVarsPerChannelGradientConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxVarsPerChannelGradient,
  backendName: 'webgpu',
  kernelFunc: fakeQuantWithMinMaxVarsPerChannelGradient as unknown as KernelFunc,
};
