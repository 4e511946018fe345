/**
 * A kernel computed by the cpu loops (quant/fake_quant_impl.ts) from CPU-resident values: the cpu
 * backend's kernels, and tfjs's small-tensor CPU forwarding in the webgl and webgpu kernels.
 */
import type {TensorInfo} from '@tensorflow/tfjs-core';

import {fakeQuantForwardImpl, fakeQuantGradientImpl, fakeQuantInputGradientImpl} from '../quant/fake_quant_impl';
import {type FakeQuantKernelSpec, type KernelArgs, rangeValues} from './kernel_spec';

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
