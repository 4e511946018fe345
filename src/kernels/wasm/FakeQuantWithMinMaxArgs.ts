import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';

import {FakeQuantWithMinMaxArgs, type FakeQuantWithMinMaxArgsAttrs, type FakeQuantWithMinMaxArgsInputs} from '../../kernel_names';
import {attrRange, wasmFakeQuant} from './wasm_util';

/** The cpu loop (Args multiplies by the inverse scale) on the wasm heap. */
export function fakeQuantWithMinMaxArgs(args: {
  inputs: FakeQuantWithMinMaxArgsInputs,
  backend: BackendWasm,
  attrs: FakeQuantWithMinMaxArgsAttrs,
}): TensorInfo {
  const {inputs: {inputs: x}, backend, attrs} = args;
  return wasmFakeQuant(backend, x!, attrRange(attrs), attrs, 'multiply');
}

export const fakeQuantWithMinMaxArgsConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxArgs,
  backendName: 'wasm',
  kernelFunc: fakeQuantWithMinMaxArgs as unknown as KernelFunc,
};
