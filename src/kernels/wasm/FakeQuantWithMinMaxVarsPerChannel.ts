import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';

import {FakeQuantWithMinMaxVarsPerChannel, type FakeQuantWithMinMaxVarsPerChannelAttrs, type FakeQuantWithMinMaxVarsPerChannelInputs} from '../../kernel_names';
import {tensorRange, wasmFakeQuant} from './wasm_util';

/** The cpu loop, channel c owning flat indices c, c + d, ... (TF's flat_inner_dims view). */
export function fakeQuantWithMinMaxVarsPerChannel(args: {
  inputs: FakeQuantWithMinMaxVarsPerChannelInputs,
  backend: BackendWasm,
  attrs: FakeQuantWithMinMaxVarsPerChannelAttrs,
}): TensorInfo {
  const {inputs: {inputs: x, min, max}, backend, attrs} = args;
  return wasmFakeQuant(backend, x!, tensorRange(backend, min!, max!), attrs, 'multiply');
}

export const fakeQuantWithMinMaxVarsPerChannelConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxVarsPerChannel,
  backendName: 'wasm',
  kernelFunc: fakeQuantWithMinMaxVarsPerChannel as unknown as KernelFunc,
};
