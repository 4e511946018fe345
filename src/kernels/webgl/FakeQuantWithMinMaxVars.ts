import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

import {FakeQuantWithMinMaxVars, type FakeQuantWithMinMaxVarsAttrs, type FakeQuantWithMinMaxVarsInputs} from '../../kernel_names';
import {webglFakeQuant} from './fake_quant_webgl';

export function fakeQuantWithMinMaxVars(args: {
  inputs: FakeQuantWithMinMaxVarsInputs,
  backend: MathBackendWebGL,
  attrs: FakeQuantWithMinMaxVarsAttrs,
}): TensorInfo {
  const {inputs: {inputs: x, min, max}, backend, attrs} = args;
  return webglFakeQuant(backend, x!, {min: min!, max: max!, channels: null}, attrs, 'divide');
}

export const fakeQuantWithMinMaxVarsConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxVars,
  backendName: 'webgl',
  kernelFunc: fakeQuantWithMinMaxVars as unknown as KernelFunc,
};
