import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

import {FakeQuantWithMinMaxArgs, type FakeQuantWithMinMaxArgsAttrs, type FakeQuantWithMinMaxArgsInputs} from '../../kernel_names';
import {attrRange, webglFakeQuant} from './fake_quant_webgl';
import {disposeAll} from './webgl_util';

export function fakeQuantWithMinMaxArgs(args: {
  inputs: FakeQuantWithMinMaxArgsInputs,
  backend: MathBackendWebGL,
  attrs: FakeQuantWithMinMaxArgsAttrs,
}): TensorInfo {
  const {inputs: {inputs: x}, backend, attrs} = args;
  const range = attrRange(backend, attrs);
  const out = webglFakeQuant(backend, x!, range, attrs, 'multiply');
  disposeAll(backend, [range.min, range.max]);
  return out;
}

export const fakeQuantWithMinMaxArgsConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxArgs,
  backendName: 'webgl',
  kernelFunc: fakeQuantWithMinMaxArgs as unknown as KernelFunc,
};
