/** The cpu backend's body of every kernel: the cpu loops on the tensors' own arrays. */
import type {TensorInfo, TypedArray} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';

import {runOnCpu} from '../cpu_compute';
import {type FakeQuantKernelSpec, kernelConfig} from '../kernel_spec';

/** The values of a cpu-resident tensor (ops have already checked that it is float32). */
export function cpuValues(backend: MathBackendCPU, info: TensorInfo): TypedArray {
  return backend.data.get(info.dataId).values as TypedArray;
}

export function cpuKernelConfig(spec: FakeQuantKernelSpec) {
  return kernelConfig<MathBackendCPU>(
      spec, 'cpu', (backend, args) => runOnCpu(backend, spec, args, info => cpuValues(backend, info)));
}
