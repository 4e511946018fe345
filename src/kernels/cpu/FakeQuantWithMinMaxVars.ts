import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';

import {FakeQuantWithMinMaxVars, FakeQuantWithMinMaxVarsAttrs, FakeQuantWithMinMaxVarsInputs} from '../../kernel_names';
import {fakeQuantForwardImpl} from '../../quant/fake_quant_impl';
import {cpuValues} from './cpu_util';

export function fakeQuantWithMinMaxVars(args: {
  inputs: FakeQuantWithMinMaxVarsInputs,
  backend: MathBackendCPU,
  attrs: FakeQuantWithMinMaxVarsAttrs,
}): TensorInfo {
  const {inputs: {inputs: x, min, max}, backend, attrs} = args;
  const values = fakeQuantForwardImpl(
      cpuValues(backend, x!), cpuValues(backend, min!), cpuValues(backend, max!), attrs, 'divide');
  return backend.makeTensorInfo(x!.shape, 'float32', values);
}

export const fakeQuantWithMinMaxVarsConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxVars,
  backendName: 'cpu',
  kernelFunc: fakeQuantWithMinMaxVars as unknown as KernelFunc,
};
