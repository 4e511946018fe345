import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';

import {FakeQuantWithMinMaxArgs, type FakeQuantWithMinMaxArgsAttrs, type FakeQuantWithMinMaxArgsInputs} from '../../kernel_names';
import {cpuFakeQuant} from './cpu_util';

export function fakeQuantWithMinMaxArgs(args: {
  inputs: FakeQuantWithMinMaxArgsInputs,
  backend: MathBackendCPU,
  attrs: FakeQuantWithMinMaxArgsAttrs,
}): TensorInfo {
  const {inputs: {inputs: x}, backend, attrs} = args;
  return cpuFakeQuant(backend, x!, {mins: [attrs.min], maxs: [attrs.max]}, attrs, 'multiply');
}

export const fakeQuantWithMinMaxArgsConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxArgs,
  backendName: 'cpu',
  kernelFunc: fakeQuantWithMinMaxArgs as unknown as KernelFunc,
};
