import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

import {FakeQuantWithMinMaxVarsGradient, type FakeQuantWithMinMaxVarsGradientAttrs, type FakeQuantWithMinMaxVarsGradientInputs} from '../../kernel_names';
import {webglFakeQuantGradient} from './fake_quant_webgl';

/** [backpropsWrtInput, backpropWrtMin, backpropWrtMax]: at most four programs. */
export function fakeQuantWithMinMaxVarsGradient(args: {
  inputs: FakeQuantWithMinMaxVarsGradientInputs,
  backend: MathBackendWebGL,
  attrs: FakeQuantWithMinMaxVarsGradientAttrs,
}): TensorInfo[] {
  const {inputs: {gradients, inputs: x, min, max}, backend, attrs} = args;
  return webglFakeQuantGradient(
      backend, gradients!, x!, {min: min!, max: max!, channels: null}, attrs, true);
}

export const fakeQuantWithMinMaxVarsGradientConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxVarsGradient,
  backendName: 'webgl',
  kernelFunc: fakeQuantWithMinMaxVarsGradient as unknown as KernelFunc,
};
