import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';

import {FakeQuantWithMinMaxVarsPerChannelGradient, type FakeQuantWithMinMaxVarsPerChannelGradientAttrs, type FakeQuantWithMinMaxVarsPerChannelGradientInputs} from '../../kernel_names';
import {tensorRange, wasmFakeQuantGradient} from './wasm_util';

/** Returns [backpropsWrtInput, backpropWrtMin [d], backpropWrtMax [d]], all from one pass. */
export function fakeQuantWithMinMaxVarsPerChannelGradient(args: {
  inputs: FakeQuantWithMinMaxVarsPerChannelGradientInputs,
  backend: BackendWasm,
  attrs: FakeQuantWithMinMaxVarsPerChannelGradientAttrs,
}): TensorInfo[] {
  const {inputs: {gradients, inputs: x, min, max}, backend, attrs} = args;
  return wasmFakeQuantGradient(
      backend, gradients!, x!, tensorRange(backend, min!, max!), min!.shape, attrs);
}

export const fakeQuantWithMinMaxVarsPerChannelGradientConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxVarsPerChannelGradient,
  backendName: 'wasm',
  kernelFunc: fakeQuantWithMinMaxVarsPerChannelGradient as unknown as KernelFunc,
};
