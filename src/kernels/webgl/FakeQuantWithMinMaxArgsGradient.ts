import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

import {FakeQuantWithMinMaxArgsGradient, type FakeQuantWithMinMaxArgsGradientAttrs, type FakeQuantWithMinMaxArgsGradientInputs} from '../../kernel_names';
import {attrRange, webglFakeQuantGradient} from './fake_quant_webgl';
import {disposeAll} from './webgl_util';

/** Args has no min/max gradients: one elementwise program. */
export function fakeQuantWithMinMaxArgsGradient(args: {
  inputs: FakeQuantWithMinMaxArgsGradientInputs,
  backend: MathBackendWebGL,
  attrs: FakeQuantWithMinMaxArgsGradientAttrs,
}): TensorInfo {
  const {inputs: {gradients, inputs: x}, backend, attrs} = args;
  const range = attrRange(backend, attrs);
  const [backprops] = webglFakeQuantGradient(backend, gradients!, x!, range, attrs, false);
  disposeAll(backend, [range.min, range.max]);
  return backprops;
}

export const fakeQuantWithMinMaxArgsGradientConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxArgsGradient,
  backendName: 'webgl',
  kernelFunc: fakeQuantWithMinMaxArgsGradient as unknown as KernelFunc,
};
