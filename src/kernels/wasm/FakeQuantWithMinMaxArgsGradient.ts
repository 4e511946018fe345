import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';

import {FakeQuantWithMinMaxArgsGradient, type FakeQuantWithMinMaxArgsGradientAttrs, type FakeQuantWithMinMaxArgsGradientInputs} from '../../kernel_names';
import {attrRange, wasmFakeQuantInputGradient} from './wasm_util';

/** Args has no min/max gradients: only the input gradient is returned. */
export function fakeQuantWithMinMaxArgsGradient(args: {
  inputs: FakeQuantWithMinMaxArgsGradientInputs,
  backend: BackendWasm,
  attrs: FakeQuantWithMinMaxArgsGradientAttrs,
}): TensorInfo {
  const {inputs: {gradients, inputs: x}, backend, attrs} = args;
  return wasmFakeQuantInputGradient(backend, gradients!, x!, attrRange(attrs), attrs);
}

export const fakeQuantWithMinMaxArgsGradientConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxArgsGradient,
  backendName: 'wasm',
  kernelFunc: fakeQuantWithMinMaxArgsGradient as unknown as KernelFunc,
};
