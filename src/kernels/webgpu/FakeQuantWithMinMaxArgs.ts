import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {FakeQuantWithMinMaxArgs, type FakeQuantWithMinMaxArgsAttrs, type FakeQuantWithMinMaxArgsInputs} from '../../kernel_names';
import {webgpuFakeQuant} from './fake_quant_webgpu';

/** One dispatch; the range attributes are uniforms. */
export function fakeQuantWithMinMaxArgs(args: {
  inputs: FakeQuantWithMinMaxArgsInputs,
  backend: WebGPUBackend,
  attrs: FakeQuantWithMinMaxArgsAttrs,
}): TensorInfo {
  const {inputs: {inputs: x}, backend, attrs} = args;
  return webgpuFakeQuant(backend, x!, {kind: 'attrs', min: attrs.min, max: attrs.max}, attrs, 'multiply');
}

export const fakeQuantWithMinMaxArgsConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxArgs,
  backendName: 'webgpu',
  kernelFunc: fakeQuantWithMinMaxArgs as unknown as KernelFunc,
};
