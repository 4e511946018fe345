import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';

import {FakeQuantWithMinMaxVarsPerChannel, type FakeQuantWithMinMaxVarsPerChannelAttrs, type FakeQuantWithMinMaxVarsPerChannelInputs} from '../../kernel_names';
import {cpuFakeQuant, tensorRange} from './cpu_util';

export function fakeQuantWithMinMaxVarsPerChannel(args: {
  inputs: FakeQuantWithMinMaxVarsPerChannelInputs,
  backend: MathBackendCPU,
  attrs: FakeQuantWithMinMaxVarsPerChannelAttrs,
}): TensorInfo {
  const {inputs: {inputs: x, min, max}, backend, attrs} = args;
  return cpuFakeQuant(backend, x!, tensorRange(backend, min!, max!), attrs, 'multiply');
}

export const fakeQuantWithMinMaxVarsPerChannelConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxVarsPerChannel,
  backendName: 'cpu',
  kernelFunc: fakeQuantWithMinMaxVarsPerChannel as unknown as KernelFunc,
};
