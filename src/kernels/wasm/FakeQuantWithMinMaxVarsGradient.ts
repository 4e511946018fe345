import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';

import {FakeQuantWithMinMaxVarsGradient, type FakeQuantWithMinMaxVarsGradientAttrs, type FakeQuantWithMinMaxVarsGradientInputs} from '../../kernel_names';
import {tensorRange, wasmFakeQuantGradient} from './wasm_util';

/** Returns [backpropsWrtInput, backpropWrtMin, backpropWrtMax], all from one pass. */
export function fakeQuantWithMinMaxVarsGradient(args: {
  inputs: FakeQuantWithMinMaxVarsGradientInputs,
  backend: BackendWasm,
  attrs: FakeQuantWithMinMaxVarsGradientAttrs,
}): TensorInfo[] {
  const {inputs: {gradients, inputs: x, min, max}, backend, attrs} = args;
  return wasmFakeQuantGradient(
      backend, gradients!, x!, tensorRange(backend, min!, max!), min!.shape, attrs);
}

export const fakeQuantWithMinMaxVarsGradientConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxVarsGradient,
  backendName: 'wasm',
  kernelFunc: fakeQuantWithMinMaxVarsGradient as unknown as KernelFunc,
};
