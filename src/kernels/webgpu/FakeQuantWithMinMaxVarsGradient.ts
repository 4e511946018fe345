import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {FakeQuantWithMinMaxVarsGradient, type FakeQuantWithMinMaxVarsGradientAttrs, type FakeQuantWithMinMaxVarsGradientInputs} from '../../kernel_names';
import {webgpuFakeQuantGradient} from './fake_quant_webgpu';

/** [backpropsWrtInput, backpropWrtMin, backpropWrtMax]: one fused dispatch (+ one combine). */
export function fakeQuantWithMinMaxVarsGradient(args: {
  inputs: FakeQuantWithMinMaxVarsGradientInputs,
  backend: WebGPUBackend,
  attrs: FakeQuantWithMinMaxVarsGradientAttrs,
}): TensorInfo[] {
  const {inputs: {gradients, inputs: x, min, max}, backend, attrs} = args;
  return webgpuFakeQuantGradient(backend, gradients!, x!, min!, max!, false, attrs);
}

export const fakeQuantWithMinMaxVarsGradientConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxVarsGradient,
  backendName: 'webgpu',
  kernelFunc: fakeQuantWithMinMaxVarsGradient as unknown as KernelFunc,
};
