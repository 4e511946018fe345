/**
 * A kernel computed by the cpu loops (quant/fake_quant_impl.ts) from CPU-resident values: the cpu
 * backend's kernels, and tfjs's small-tensor CPU forwarding in the webgl and webgpu kernels (with
 * the outputs of an empty input, which those backends answer without any program).
 */
import {type TensorInfo, util} from '@tensorflow/tfjs-core';

import {fakeQuantForwardImpl, fakeQuantGradientImpl, fakeQuantInputGradientImpl} from '../quant/fake_quant_impl';
import {type FakeQuantKernelSpec, type KernelArgs, rangeValues} from './kernel_spec';

/** What the cpu, webgl and webgpu backends share to hold CPU values as a tensor. */
interface TensorMaker {
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

export interface CpuOutput {
  shape: number[];
  values: Float32Array;
}

/** The kernel's outputs in its order; `read` gives a CPU-resident tensor's values. */
export function computeOnCpu(
    spec: FakeQuantKernelSpec, {x, dy, range, attrs}: KernelArgs,
    read: (info: TensorInfo) => ArrayLike<number>): CpuOutput[] {
  const {mins, maxs} = rangeValues(range, read);
  const xValues = read(x);
  switch (spec.outputs) {
    case 'forward':
      return [{shape: x.shape, values: fakeQuantForwardImpl(xValues, mins, maxs, attrs, spec.form)}];
    case 'inputGradient':
      return [{
        shape: x.shape,
        values: fakeQuantInputGradientImpl(read(dy!), xValues, mins, maxs, attrs),
      }];
    case 'inputAndRangeGradients': {
      const grads = fakeQuantGradientImpl(read(dy!), xValues, mins, maxs, attrs);
      return [
        {shape: x.shape, values: grads.backpropsWrtInput},
        {shape: range.shape, values: grads.backpropWrtMin},
        {shape: range.shape, values: grads.backpropWrtMax},
      ];
    }
  }
}

/** The kernel's outputs computed by the cpu loops, held by `backend` as CPU-resident tensors. */
export function runOnCpu(
    backend: TensorMaker, spec: FakeQuantKernelSpec, args: KernelArgs,
    read: (info: TensorInfo) => ArrayLike<number>): TensorInfo[] {
  return computeOnCpu(spec, args, read)
      .map(({shape, values}) => backend.makeTensorInfo(shape, 'float32', values));
}

/** The outputs of an empty input, from its spec alone: no elements, range gradients of 0. */
export function emptyOutputs(
    backend: TensorMaker, spec: FakeQuantKernelSpec, {x, range}: KernelArgs): TensorInfo[] {
  const outputs = [backend.makeTensorInfo(x.shape, 'float32', new Float32Array(0))];
  if (spec.outputs !== 'inputAndRangeGradients') return outputs;
  const zeros = () => backend.makeTensorInfo(range.shape, 'float32', new Float32Array(util.sizeFromShape(range.shape)));
  return [...outputs, zeros(), zeros()];
}
