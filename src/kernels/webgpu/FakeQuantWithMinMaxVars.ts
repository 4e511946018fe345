import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {FakeQuantWithMinMaxVars, type FakeQuantWithMinMaxVarsAttrs, type FakeQuantWithMinMaxVarsInputs} from '../../kernel_names';
import {webgpuFakeQuant, tensorRange} from './fake_quant_webgpu';

/** One dispatch; the nudge is computed on the GPU from the min/max buffers. */
export function fakeQuantWithMinMaxVars(args: {
  inputs: FakeQuantWithMinMaxVarsInputs,
  backend: WebGPUBackend,
  attrs: FakeQuantWithMinMaxVarsAttrs,
}): TensorInfo {
  const {inputs: {inputs: x, min, max}, backend, attrs} = args;
  return webgpuFakeQuant(backend, x!, tensorRange(min!, max!, false), attrs, 'divide');
}

export const fakeQuantWithMinMaxVarsConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxVars,
  backendName: 'webgpu',
  kernelFunc: fakeQuantWithMinMaxVars as unknown as KernelFunc,
};
