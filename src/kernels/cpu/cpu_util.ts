import {TensorInfo, TypedArray} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';

/** The values of a cpu-resident tensor (ops have already checked that it is float32). */
export function cpuValues(backend: MathBackendCPU, info: TensorInfo): TypedArray {
  return backend.data.get(info.dataId).values as TypedArray;
}
