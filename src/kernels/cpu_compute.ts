/**
 * A kernel computed by the cpu loops (quant/fake_quant_impl.ts) from CPU-resident values: the cpu
 * backend's kernels, and tfjs's small-tensor CPU forwarding in the webgl and webgpu kernels (with
 * the outputs of an empty input, which those backends answer without any program).
 */
import {type TensorInfo, util} from '@tensorflow/tfjs-core';

import {fakeQuantForwardImpl, fakeQuantGradientImpl, fakeQuantInputGradientImpl} from '../quant/fake_quant_impl';
import {type FakeQuantKernelSpec, type KernelArgs, outputShapes, rangeValues} from './kernel_spec';

/** What the cpu, webgl and webgpu backends share to hold CPU values as a tensor. */
interface TensorMaker {
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

export interface CpuOutput {
  shape: number[];
  values: Float32Array;
}

/**
 * The kernel's outputs in its order; `read` gives a CPU-resident tensor's values. The values are
 * written to `into` where given (one array per output, e.g. views of a heap), else to new arrays.
 */
export function computeOnCpu(
    spec: FakeQuantKernelSpec, args: KernelArgs, read: (info: TensorInfo) => ArrayLike<number>,
    into?: Float32Array[]): CpuOutput[] {
  const {x, dy, range, attrs} = args;
  const shapes = outputShapes(spec, args);
  const values = into ?? shapes.map(shape => new Float32Array(util.sizeFromShape(shape)));
  const [out, dMin, dMax] = values;
  const {mins, maxs} = rangeValues(range, read);
  const xValues = read(x);
  switch (spec.outputs) {
    case 'forward':
      fakeQuantForwardImpl(xValues, mins, maxs, attrs, spec.form, out);
      break;
    case 'inputGradient':
      fakeQuantInputGradientImpl(read(dy!), xValues, mins, maxs, attrs, out);
      break;
    case 'inputAndRangeGradients':
      fakeQuantGradientImpl(read(dy!), xValues, mins, maxs, attrs,
                            {backpropsWrtInput: out, backpropWrtMin: dMin, backpropWrtMax: dMax});
  }
  return shapes.map((shape, i) => ({shape, values: values[i]}));
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
    backend: TensorMaker, spec: FakeQuantKernelSpec, args: KernelArgs): TensorInfo[] {
  return outputShapes(spec, args).map(
      shape => backend.makeTensorInfo(shape, 'float32', new Float32Array(util.sizeFromShape(shape))));
}
