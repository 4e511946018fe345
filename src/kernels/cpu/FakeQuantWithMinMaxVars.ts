import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';

import {FakeQuantWithMinMaxVars, type FakeQuantWithMinMaxVarsAttrs, type FakeQuantWithMinMaxVarsInputs} from '../../kernel_names';
import {cpuFakeQuant, tensorRange} from './cpu_util';

export function fakeQuantWithMinMaxVars(args: {
  inputs: FakeQuantWithMinMaxVarsInputs,
  backend: MathBackendCPU,
  attrs: FakeQuantWithMinMaxVarsAttrs,
}): TensorInfo {
  const {inputs: {inputs: x, min, max}, backend, attrs} = args;
  return cpuFakeQuant(backend, x!, tensorRange(backend, min!, max!), attrs, 'divide');
}

export const fakeQuantWithMinMaxVarsConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxVars,
  backendName: 'cpu',
  kernelFunc: fakeQuantWithMinMaxVars as unknown as KernelFunc,
};
