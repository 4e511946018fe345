import {KernelConfig, KernelFunc, TensorInfo, util} from '@tensorflow/tfjs-core';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

import {FakeQuantAttrs, FakeQuantWithMinMaxVarsGradient, FakeQuantWithMinMaxVarsGradientAttrs, FakeQuantWithMinMaxVarsGradientInputs} from '../../kernel_names';
import {fakeQuantGradientImpl} from '../../quant/fake_quant_impl';
import {FakeQuantInputGradientProgram, FakeQuantRangeGradientPartialsProgram, FakeQuantRangeGradientTotalProgram} from './fake_quant_grad_gpu';
import {cpuValues, disposeAll, flatUnpacked, warnOnceIfHalfFloat, webglVersion, withShape} from './webgl_util';

function cpuGradient(
    backend: MathBackendWebGL, gradients: TensorInfo, x: TensorInfo, min: TensorInfo,
    max: TensorInfo, attrs: FakeQuantAttrs): TensorInfo[] {
  const grads = fakeQuantGradientImpl(
      cpuValues(backend, gradients) ?? [], cpuValues(backend, x) ?? [], cpuValues(backend, min),
      cpuValues(backend, max), attrs);
  return [
    backend.makeTensorInfo(x.shape, 'float32', grads.backpropsWrtInput),
    backend.makeTensorInfo(min.shape, 'float32', grads.backpropWrtMin),
    backend.makeTensorInfo(max.shape, 'float32', grads.backpropWrtMax),
  ];
}

/** Windows of about sqrt(size) elements balance the two reduction passes. */
function reductionWindowSize(size: number): number {
  return Math.max(1, Math.ceil(Math.sqrt(size)));
}

/**
 * Four programs whatever the size: the input gradient (one elementwise pass), the fused partial
 * sums of both range gradients (one pass reading the data once), and one tiny pass per total.
 */
export function fakeQuantWithMinMaxVarsGradient(args: {
  inputs: FakeQuantWithMinMaxVarsGradientInputs,
  backend: MathBackendWebGL,
  attrs: FakeQuantWithMinMaxVarsGradientAttrs,
}): TensorInfo[] {
  const {inputs: {gradients, inputs: x, min, max}, backend, attrs} = args;
  const size = util.sizeFromShape(x!.shape);
  if (size === 0 || backend.shouldExecuteOnCPU([gradients!, x!, min!, max!])) {
    return cpuGradient(backend, gradients!, x!, min!, max!, attrs);
  }
  warnOnceIfHalfFloat();
  const version = webglVersion();
  const temps: TensorInfo[] = [];
  const programInputs =
      [flatUnpacked(backend, gradients!, temps), flatUnpacked(backend, x!, temps), min!, max!];

  const dx = backend.runWebGLProgram(
      new FakeQuantInputGradientProgram(size, attrs, version), programInputs, 'float32');

  const windowSize = reductionWindowSize(size);
  const partialsProgram = new FakeQuantRangeGradientPartialsProgram(size, windowSize, attrs, version);
  const partials = backend.runWebGLProgram(
      partialsProgram, programInputs, 'float32', undefined,
      /* preventEagerUnpackingOfOutput */ true);
  temps.push(partials);
  const windows = Math.ceil(size / windowSize);
  const [dMin, dMax] = ([0, 1] as const).map(
      row => backend.runWebGLProgram(
          new FakeQuantRangeGradientTotalProgram(windows, row), [partials], 'float32'));

  disposeAll(backend, temps);
  return [withShape(dx, x!.shape), withShape(dMin, min!.shape), withShape(dMax, max!.shape)];
}

export const fakeQuantWithMinMaxVarsGradientConfig: KernelConfig = {
  kernelName: FakeQuantWithMinMaxVarsGradient,
  backendName: 'webgl',
  kernelFunc: fakeQuantWithMinMaxVarsGradient as unknown as KernelFunc,
};
