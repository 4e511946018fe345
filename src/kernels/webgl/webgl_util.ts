import {env, type TensorInfo, type TypedArray, util} from '@tensorflow/tfjs-core';
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
 * tfjs's packed layout of a tensor of any rank: 2x2 blocks of (rows, cols), the last two dims,
 * batched over the others (tfjs-backend-webgl's getShapeAs3D). A packed texture viewed with this
 * shape is reshape-free, so programs may read it (and write their packed output) this way.
 */
export function shapeAs3D(shape: number[]): [number, number, number] {
  const rank = shape.length;
  const batch = util.sizeFromShape(shape.slice(0, Math.max(0, rank - 2)));
  return [batch, rank >= 2 ? shape[rank - 2] : 1, rank >= 1 ? shape[rank - 1] : 1];
}

/** tfjs's shaders (packed samplers and outputs, unpack) handle ranks up to 6. */
export const MAX_PACKED_RANK = 6;

/** Where a tensor's data lives: a texture (packed or not) or the CPU (uploaded on first use). */
export function storage(
    backend: MathBackendWebGL, info: TensorInfo): 'packed'|'unpacked'|'cpu' {
  const data = backend.texData.get(info.dataId);
  if (data.texture == null) return 'cpu';
  return data.isPacked ? 'packed' : 'unpacked';
}

/**
 * The input as an unpacked flat [size] tensor: the unpacked programs index elements by flat
 * position, which covers every rank. Unpacking a packed texture costs one pass (done on the
 * reshape-free [batch, rows, cols] view, so ranks above 6 work too); the result goes into `temps`.
 */
export function flatUnpacked(
    backend: MathBackendWebGL, info: TensorInfo, temps: TensorInfo[]): TensorInfo {
  let unpacked = info;
  if (backend.texData.get(info.dataId).isPacked) {
    unpacked = backend.unpackTensor(packedView(info));
    temps.push(unpacked);
  }
  return {dataId: unpacked.dataId, shape: [util.sizeFromShape(info.shape)], dtype: info.dtype};
}

/** A packed tensor as the [batch, rows, cols] view the packed programs read (free, no copy). */
export function packedView(info: TensorInfo): TensorInfo {
  return {dataId: info.dataId, shape: shapeAs3D(info.shape), dtype: info.dtype};
}

/**
 * A program output relabelled with its logical shape (free, as tfjs's Reshape): a flat unpacked
 * [size] output, or a packed [batch, rows, cols] one (reshape-free with any shape of those last
 * two dims).
 */
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
