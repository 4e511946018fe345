import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {FakeQuantWithMinMaxVarsPerChannel, type FakeQuantWithMinMaxVarsPerChannelAttrs, type FakeQuantWithMinMaxVarsPerChannelInputs} from '../../kernel_names';
import {webgpuFakeQuant, tensorRange} from './fake_quant_webgpu';

/** All channels in one dispatch (TF's CUDA path launches one per channel). */
export function fakeQuantWithMinMaxVarsPerChannel(args: {
  inputs: FakeQuantWithMinMaxVarsPerChannelInputs,
  backend: WebGPUBackend,
  attrs: FakeQuantWithMinMaxVarsPerChannelAttrs,
}): TensorInfo {
  const {inputs: {inputs: x, min, max}, backend, attrs} = args;
  return webgpuFakeQuant(backend, x!, tensorRange(min!, max!, true), attrs, 'multiply');
}

export const fakeQuantWithMinMaxVarsPerChannelConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxVarsPerChannel,
  backendName: 'webgpu',
  kernelFunc: fakeQuantWithMinMaxVarsPerChannel as unknown as KernelFunc,
};
