import {KernelConfig, KernelFunc, TensorInfo, util} from '@tensorflow/tfjs-core';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

import {FakeQuantWithMinMaxVars, FakeQuantWithMinMaxVarsAttrs, FakeQuantWithMinMaxVarsInputs} from '../../kernel_names';
import {fakeQuantForwardImpl} from '../../quant/fake_quant_impl';
import {FakeQuantProgram} from './fake_quant_gpu';
import {cpuValues, disposeAll, flatUnpacked, warnOnceIfHalfFloat, webglVersion, withShape} from './webgl_util';

export function fakeQuantWithMinMaxVars(args: {
  inputs: FakeQuantWithMinMaxVarsInputs,
  backend: MathBackendWebGL,
  attrs: FakeQuantWithMinMaxVarsAttrs,
}): TensorInfo {
  const {inputs: {inputs: x, min, max}, backend, attrs} = args;
  const size = util.sizeFromShape(x!.shape);
  if (size === 0 || backend.shouldExecuteOnCPU([x!, min!, max!])) {
    const values = fakeQuantForwardImpl(
        cpuValues(backend, x!) ?? [], cpuValues(backend, min!), cpuValues(backend, max!), attrs,
        'divide');
    return backend.makeTensorInfo(x!.shape, 'float32', values);
  }
  warnOnceIfHalfFloat();
  const temps: TensorInfo[] = [];
  const program = new FakeQuantProgram(size, attrs, 'divide', webglVersion());
  const out = backend.runWebGLProgram(
      program, [flatUnpacked(backend, x!, temps), min!, max!], 'float32');
  disposeAll(backend, temps);
  return withShape(out, x!.shape);
}

export const fakeQuantWithMinMaxVarsConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxVars,
  backendName: 'webgl',
  kernelFunc: fakeQuantWithMinMaxVars as unknown as KernelFunc,
};
