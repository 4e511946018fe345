import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

import {FakeQuantWithMinMaxVarsPerChannel, type FakeQuantWithMinMaxVarsPerChannelAttrs, type FakeQuantWithMinMaxVarsPerChannelInputs} from '../../kernel_names';
import {webglFakeQuant} from './fake_quant_webgl';

/** All channels in one program (TF's CUDA path launches one per channel). */
export function fakeQuantWithMinMaxVarsPerChannel(args: {
  inputs: FakeQuantWithMinMaxVarsPerChannelInputs,
  backend: MathBackendWebGL,
  attrs: FakeQuantWithMinMaxVarsPerChannelAttrs,
}): TensorInfo {
  const {inputs: {inputs: x, min, max}, backend, attrs} = args;
  const range = {min: min!, max: max!, channels: min!.shape[0]};
  return webglFakeQuant(backend, x!, range, attrs, 'multiply');
}

export const fakeQuantWithMinMaxVarsPerChannelConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxVarsPerChannel,
  backendName: 'webgl',
  kernelFunc: fakeQuantWithMinMaxVarsPerChannel as unknown as KernelFunc,
};
