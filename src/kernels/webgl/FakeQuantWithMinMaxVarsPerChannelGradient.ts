import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

import {FakeQuantWithMinMaxVarsPerChannelGradient, type FakeQuantWithMinMaxVarsPerChannelGradientAttrs, type FakeQuantWithMinMaxVarsPerChannelGradientInputs} from '../../kernel_names';
import {webglFakeQuantGradient} from './fake_quant_webgl';

/** [backpropsWrtInput, backpropWrtMin [d], backpropWrtMax [d]]: four programs for all channels. */
export function fakeQuantWithMinMaxVarsPerChannelGradient(args: {
  inputs: FakeQuantWithMinMaxVarsPerChannelGradientInputs,
  backend: MathBackendWebGL,
  attrs: FakeQuantWithMinMaxVarsPerChannelGradientAttrs,
}): TensorInfo[] {
  const {inputs: {gradients, inputs: x, min, max}, backend, attrs} = args;
  const range = {min: min!, max: max!, channels: min!.shape[0]};
  return webglFakeQuantGradient(backend, gradients!, x!, range, attrs, true);
}

export const fakeQuantWithMinMaxVarsPerChannelGradientConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxVarsPerChannelGradient,
  backendName: 'webgl',
  kernelFunc: fakeQuantWithMinMaxVarsPerChannelGradient as unknown as KernelFunc,
};
