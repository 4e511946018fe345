/**
 * Helpers for the webgpu kernels. Everything the backend package offers is used through its public
 * TypeScript surface with `import type` only, so importing this package never loads
 * @tensorflow/tfjs-backend-webgpu (an optional peer): the small utilities below (dispatch sizes)
 * are re-implemented instead of imported.
 */
import {type TensorInfo, type TypedArray, util} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

/** Threads per workgroup of the tiled programs (WebGPU's default limit). */
export const WORKGROUP_SIZE = 256;

/** The most channels a tile holds (a power of two: the rest of the workgroup are its rows). */
export const MAX_TILE_CHANNELS = 64;

/** WebGPU's default maxComputeWorkgroupsPerDimension. */
const MAX_WORKGROUPS_PER_DIMENSION = 65535;

/**
 * How many workgroups a program is spread over: about as many as it takes to fill a large GPU
 * (~2^18 threads); the programs loop over rows (grid stride), so bigger inputs give each thread
 * more rows instead. A CPU implementation (SwiftShader) runs a workgroup that has a barrier as
 * coroutines, at a high fixed cost per workgroup (milliseconds): there about one workgroup per CPU
 * core is fastest.
 */
export function targetWorkgroups(backend: WebGPUBackend): number {
  if (workgroupsForTests != null) return workgroupsForTests;
  if (!isSoftwareAdapter(backend)) return 1024;
  const cores = (globalThis as {navigator?: {hardwareConcurrency?: number}}).navigator
                    ?.hardwareConcurrency ?? 4;
  return Math.min(32, Math.max(2, cores));
}

let workgroupsForTests: number|null = null;

/**
 * Test hook: spread every program over about `count` workgroups whatever the adapter (null: the
 * adapter's own count, the default), e.g. a real GPU's 1024 on SwiftShader, whose few workgroups
 * never give the combine pass more than a handful of partial sums.
 */
export function setTargetWorkgroupsForTests(count: number|null): void {
  if (count != null && !(Number.isInteger(count) && count >= 1)) {
    throw new Error(`tfjs-fake-quant: setTargetWorkgroupsForTests(${count}): count must be a ` +
                    'positive integer, or null for the default');
  }
  workgroupsForTests = count;
}

type AdapterDescription = {vendor?: string, architecture?: string, description?: string};

/** A CPU implementation of WebGPU (only a tuning hint: unknown adapters count as GPUs). */
export function isSoftwareAdapter(backend: WebGPUBackend): boolean {
  // GPUDevice.adapterInfo (newer WebGPU), else what the backend kept of the adapter's info.
  const info = (backend.device as unknown as {adapterInfo?: AdapterDescription}).adapterInfo ??
      (backend.adapterInfo as unknown as AdapterDescription | undefined);
  const text = `${info?.architecture ?? ''} ${info?.description ?? ''}`;
  return /swiftshader|llvmpipe|lavapipe|warp|software/i.test(text);
}

/** The WGSL element type of a buffer: f32, or i32 for the int32 and bool tensors. */
export type StoredType = 'f32'|'i32';

/**
 * The element type of the buffer behind a tensor. tfjs stores int32 and bool as i32, and its Cast
 * to float32 only relabels such a tensor (same buffer): the info says float32, the backend's own
 * record of the data says what the buffer holds.
 */
export function storedType(backend: WebGPUBackend, info: TensorInfo): StoredType {
  return backend.tensorMap.get(info.dataId).dtype === 'float32' ? 'f32' : 'i32';
}

/** A flat [size] view of a tensor: the programs index elements by flat position (any rank). */
export function flat(info: TensorInfo): TensorInfo {
  return {dataId: info.dataId, shape: [util.sizeFromShape(info.shape)], dtype: info.dtype};
}

/** A flat program output relabelled with its logical shape (free, as tfjs's Reshape). */
export function withShape(info: TensorInfo, shape: number[]): TensorInfo {
  return {dataId: info.dataId, shape, dtype: info.dtype};
}

/** CPU-resident values for tfjs's small-tensor CPU forwarding (no GPU read happens). */
export function cpuValues(backend: WebGPUBackend, info: TensorInfo): TypedArray {
  return backend.tensorMap.get(info.dataId).values as TypedArray;
}

/**
 * The input viewed as [rows, channels] (TF's flat_inner_dims; one channel for the per-tensor
 * ops) is cut into tiles of `tileChannels` channels x `tileRows` rows, one workgroup per tile
 * column and row chunk: thread (lx, ly) of tile (tx, ty) owns channel tx * tileChannels + lx and
 * rows ty * tileRows + ly + k * tilesY * tileRows. Each thread therefore sees a single channel
 * (one nudge per thread), adjacent threads read adjacent elements, and a workgroup reduces its
 * channels' sums over ly without atomics.
 */
export interface TileLayout {
  channels: number;
  rows: number;
  /** A power of two <= MAX_TILE_CHANNELS (lanes per channel tile). */
  tileChannels: number;
  /** WORKGROUP_SIZE / tileChannels. */
  tileRows: number;
  tilesX: number;
  tilesY: number;
  /** tilesX * tilesY workgroups, folded into two dimensions when above the per-dimension limit. */
  dispatch: [number, number, number];
}

/**
 * @param maxRowsPerThreadForOneChunk when the rows fit in one chunk with at most this many rows
 *     per thread, use a single row chunk (tilesY = 1): the gradient then needs no combine pass.
 */
export function tileLayout(
    size: number, channels: number, targetWorkgroupCount: number,
    maxRowsPerThreadForOneChunk = 4): TileLayout {
  const rows = channels === 0 ? 0 : size / channels;
  let tileChannels = 1;
  while (tileChannels < channels && tileChannels < MAX_TILE_CHANNELS) tileChannels *= 2;
  const tileRows = WORKGROUP_SIZE / tileChannels;
  const tilesX = Math.ceil(channels / tileChannels);
  const rowChunks = Math.max(1, Math.ceil(rows / tileRows));
  const tilesY = rowChunks <= maxRowsPerThreadForOneChunk ?
      1 :
      Math.min(rowChunks, Math.max(1, Math.floor(targetWorkgroupCount / tilesX)));
  return {
    channels, rows, tileChannels, tileRows, tilesX, tilesY,
    dispatch: foldDispatch(tilesX * tilesY),
  };
}

/** `count` workgroups as a dispatch within the per-dimension limit (programs linearise the id). */
export function foldDispatch(count: number): [number, number, number] {
  if (count <= MAX_WORKGROUPS_PER_DIMENSION) return [count, 1, 1];
  const y = Math.ceil(count / MAX_WORKGROUPS_PER_DIMENSION);
  if (y > MAX_WORKGROUPS_PER_DIMENSION) {
    throw new Error(`tfjs-fake-quant: ${count} workgroups exceed the WebGPU dispatch limits`);
  }
  return [MAX_WORKGROUPS_PER_DIMENSION, y, 1];
}
