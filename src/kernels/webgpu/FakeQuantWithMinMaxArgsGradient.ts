import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {FakeQuantWithMinMaxArgsGradient, type FakeQuantWithMinMaxArgsGradientAttrs, type FakeQuantWithMinMaxArgsGradientInputs} from '../../kernel_names';
import {webgpuFakeQuantInputGradient} from './fake_quant_webgpu';

/** Args has no min/max gradients: one elementwise dispatch. */
export function fakeQuantWithMinMaxArgsGradient(args: {
  inputs: FakeQuantWithMinMaxArgsGradientInputs,
  backend: WebGPUBackend,
  attrs: FakeQuantWithMinMaxArgsGradientAttrs,
}): TensorInfo {
  const {inputs: {gradients, inputs: x}, backend, attrs} = args;
  return webgpuFakeQuantInputGradient(
      backend, gradients!, x!, {kind: 'attrs', min: attrs.min, max: attrs.max}, attrs);
}

export const fakeQuantWithMinMaxArgsGradientConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxArgsGradient,
  backendName: 'webgpu',
  kernelFunc: fakeQuantWithMinMaxArgsGradient as unknown as KernelFunc,
};
