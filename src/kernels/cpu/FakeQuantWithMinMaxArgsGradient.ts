import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';

import {FakeQuantWithMinMaxArgsGradient, type FakeQuantWithMinMaxArgsGradientAttrs, type FakeQuantWithMinMaxArgsGradientInputs} from '../../kernel_names';
import {cpuFakeQuantGradient} from './cpu_util';

/** Args has no min/max gradients: only the input gradient is kept. */
export function fakeQuantWithMinMaxArgsGradient(args: {
  inputs: FakeQuantWithMinMaxArgsGradientInputs,
  backend: MathBackendCPU,
  attrs: FakeQuantWithMinMaxArgsGradientAttrs,
}): TensorInfo {
  const {inputs: {gradients, inputs: x}, backend, attrs} = args;
  const range = {mins: [attrs.min], maxs: [attrs.max]};
  const [backprops, ...rangeGradients] =
      cpuFakeQuantGradient(backend, gradients!, x!, range, [], attrs);
  rangeGradients.forEach(info => backend.disposeIntermediateTensorInfo(info));
  return backprops;
}

export const fakeQuantWithMinMaxArgsGradientConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxArgsGradient,
  backendName: 'cpu',
  kernelFunc: fakeQuantWithMinMaxArgsGradient as unknown as KernelFunc,
};
