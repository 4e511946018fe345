import {env, TensorInfo, TypedArray, util} from '@tensorflow/tfjs-core';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

let warnedAboutHalfFloat = false;

/** Float16 render targets round every intermediate: results cannot match TensorFlow's. */
export function warnOnceIfHalfFloat(): void {
  if (warnedAboutHalfFloat || env().getBool('WEBGL_RENDER_FLOAT32_ENABLED')) return;
  warnedAboutHalfFloat = true;
  console.warn(
      'tfjs-fake-quant: this WebGL backend renders to float16 textures ' +
      '(WEBGL_RENDER_FLOAT32_ENABLED is false), so fake-quant results cannot match TensorFlow\'s ' +
      'float32 kernels. Use the cpu backend or a device with float32 render targets for exact QAT.');
}

export function webglVersion(): number {
  return env().getNumber('WEBGL_VERSION');
}

/**
 * The input as an unpacked flat [size] tensor: the programs index elements by flat position, which
 * covers every rank. Unpacking a packed texture costs one pass; the result goes into `temps`.
 */
export function flatUnpacked(
    backend: MathBackendWebGL, info: TensorInfo, temps: TensorInfo[]): TensorInfo {
  let unpacked = info;
  if (backend.texData.get(info.dataId).isPacked) {
    unpacked = backend.unpackTensor(info);
    temps.push(unpacked);
  }
  return {dataId: unpacked.dataId, shape: [util.sizeFromShape(info.shape)], dtype: info.dtype};
}

/** A flat unpacked program output relabelled with its logical shape (free, as tfjs's Reshape). */
export function withShape(info: TensorInfo, shape: number[]): TensorInfo {
  return {dataId: info.dataId, shape, dtype: info.dtype};
}

/** CPU-resident values for tfjs's small-tensor CPU forwarding (no GPU read happens). */
export function cpuValues(backend: MathBackendWebGL, info: TensorInfo): TypedArray {
  return backend.texData.get(info.dataId).values as TypedArray;
}

export function disposeAll(backend: MathBackendWebGL, infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeIntermediateTensorInfo(info);
}
