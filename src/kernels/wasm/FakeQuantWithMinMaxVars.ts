import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';

import {FakeQuantWithMinMaxVars, type FakeQuantWithMinMaxVarsAttrs, type FakeQuantWithMinMaxVarsInputs} from '../../kernel_names';
import {tensorRange, wasmFakeQuant} from './wasm_util';

/** The cpu loop (Vars divides by the scale) on the wasm heap. */
export function fakeQuantWithMinMaxVars(args: {
  inputs: FakeQuantWithMinMaxVarsInputs,
  backend: BackendWasm,
  attrs: FakeQuantWithMinMaxVarsAttrs,
}): TensorInfo {
  const {inputs: {inputs: x, min, max}, backend, attrs} = args;
  return wasmFakeQuant(backend, x!, tensorRange(backend, min!, max!), attrs, 'divide');
}

export const fakeQuantWithMinMaxVarsConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxVars,
  backendName: 'wasm',
  kernelFunc: fakeQuantWithMinMaxVars as unknown as KernelFunc,
};
