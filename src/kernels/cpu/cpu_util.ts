/** Kernel bodies shared by the cpu kernels: each kernel file only picks its inputs and form. */
import type {TensorInfo, TypedArray} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';

import type {FakeQuantAttrs} from '../../kernel_names';
import {fakeQuantForwardImpl, fakeQuantGradientImpl, type LevelForm} from '../../quant/fake_quant_impl';

/** The values of a cpu-resident tensor (ops have already checked that it is float32). */
export function cpuValues(backend: MathBackendCPU, info: TensorInfo): TypedArray {
  return backend.data.get(info.dataId).values as TypedArray;
}

/** The range of a kernel: min/max tensors (Vars, PerChannel) or attributes (Args). */
export interface CpuRange {
  mins: ArrayLike<number>;
  maxs: ArrayLike<number>;
}

export function tensorRange(backend: MathBackendCPU, min: TensorInfo, max: TensorInfo): CpuRange {
  return {mins: cpuValues(backend, min), maxs: cpuValues(backend, max)};
}

export function cpuFakeQuant(
    backend: MathBackendCPU, x: TensorInfo, range: CpuRange, attrs: FakeQuantAttrs,
    form: LevelForm): TensorInfo {
  const values = fakeQuantForwardImpl(cpuValues(backend, x), range.mins, range.maxs, attrs, form);
  return backend.makeTensorInfo(x.shape, 'float32', values);
}

/** [backpropsWrtInput, backpropWrtMin, backpropWrtMax]; min/max gradients of `rangeShape`. */
export function cpuFakeQuantGradient(
    backend: MathBackendCPU, gradients: TensorInfo, x: TensorInfo, range: CpuRange,
    rangeShape: number[], attrs: FakeQuantAttrs): TensorInfo[] {
  const grads = fakeQuantGradientImpl(
      cpuValues(backend, gradients), cpuValues(backend, x), range.mins, range.maxs, attrs);
  return [
    backend.makeTensorInfo(x.shape, 'float32', grads.backpropsWrtInput),
    backend.makeTensorInfo(rangeShape, 'float32', grads.backpropWrtMin),
    backend.makeTensorInfo(rangeShape, 'float32', grads.backpropWrtMax),
  ];
}
