/**
 * Helpers for the webgpu kernels. Everything the backend package offers is used through its public
 * TypeScript surface with `import type` only, so importing this package never loads
 * @tensorflow/tfjs-backend-webgpu (an optional peer): the small utilities below (dispatch sizes,
 * buffer usage flags) are re-implemented instead of imported.
 */
import {type DataId, env, type TensorInfo, type TypedArray, util} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

/** GPUBufferUsage flags (WebGPU spec values; the GPUBufferUsage global may be absent in Node). */
export const BUFFER_USAGE = {
  COPY_SRC: 0x04,
  COPY_DST: 0x08,
  UNIFORM: 0x40,
  STORAGE: 0x80,
} as const;

/** The usage tfjs gives tensor buffers: they can then be handed back to its buffer pool. */
export const TENSOR_BUFFER_USAGE =
    BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_SRC | BUFFER_USAGE.COPY_DST;

/** Threads per workgroup of every program here (WebGPU's default limit). */
export const WORKGROUP_SIZE = 256;

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

/**
 * WGSL converting i32 to f32 rounded to nearest even, as tfjs's cpu Cast (WGSL's f32(i32) may
 * round either way above 2^24): both halves convert exactly, and one f32 addition rounds.
 */
export const INT_TO_FLOAT_WGSL = `
fn fqIntToF32(v: i32) -> f32 { return f32(v >> 16u) * 65536.0 + f32(v & 0xffff); }
`;

/** A WGSL expression reading element `index` of `buffer` (of `type`) as f32. */
export function readF32Wgsl(buffer: string, index: string, type: StoredType): string {
  return type === 'f32' ? `${buffer}[${index}]` : `fqIntToF32(${buffer}[${index}])`;
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
  /** A power of two <= 64 (lanes per channel tile). */
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
  while (tileChannels < channels && tileChannels < 64) tileChannels *= 2;
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

/**
 * WGSL computing the tile of this workgroup from a linear workgroup id `w`, and the workgroup
 * memory through which the threads with ly == 0 hand their channel's nudge to the rest of the
 * column (one nudge per channel per workgroup; needs the NudgedRange struct of nudge_wgsl.ts).
 */
export const TILE_WGSL = `
struct FqChannelRange {
  r: NudgedRange,
  zeroRange: u32,
}
var<workgroup> fqChannelRanges: array<FqChannelRange, 64>;

struct FqTile {
  valid: bool,
  channel: u32,
  channelValid: bool,
  firstRow: u32,
  rowStride: u32,
  ly: u32,
  lx: u32,
}
fn fqTile(w: u32, li: u32, channels: u32, tileChannels: u32, tilesX: u32, tilesY: u32) -> FqTile {
  let tileRows = ${WORKGROUP_SIZE}u / tileChannels;
  let tx = w % tilesX;
  let ty = w / tilesX;
  let lx = li % tileChannels;
  let ly = li / tileChannels;
  let channel = tx * tileChannels + lx;
  return FqTile(ty < tilesY, channel, channel < channels, ty * tileRows + ly, tilesY * tileRows,
                ly, lx);
}
`;

/** The GPUBuffer behind a tensor, uploading CPU data first (queued on the backend's encoder). */
export function tensorBuffer(backend: WebGPUBackend, info: TensorInfo): GPUBuffer {
  backend.uploadToGPU(info.dataId);
  const resource = backend.tensorMap.get(info.dataId).resource as unknown as GPUBuffer | undefined;
  if (resource == null || typeof (resource as GPUBuffer).mapAsync !== 'function') {
    throw new Error('tfjs-fake-quant: webgpu kernels need buffer-backed tensors (not textures)');
  }
  return resource;
}

const pipelineCaches = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

function pipelineFor(device: GPUDevice, code: string, label: string): GPUComputePipeline {
  let cache = pipelineCaches.get(device);
  if (cache == null) {
    cache = new Map();
    pipelineCaches.set(device, cache);
  }
  let pipeline = cache.get(code);
  if (pipeline == null) {
    pipeline = device.createComputePipeline({
      label,
      layout: 'auto',
      compute: {module: device.createShaderModule({label, code}), entryPoint: 'main'},
    });
    cache.set(code, pipeline);
  }
  return pipeline;
}

/** One compute dispatch of a multi-output program: buffers in binding order after the uniforms. */
export interface MultiOutputDispatch {
  label: string;
  code: string;
  /** Bindings 1.. (binding 0 is the uniform buffer, shared by every dispatch of a run). */
  buffers: GPUBuffer[];
  workgroups: [number, number, number];
}

/**
 * The WebGPUBackend 4.22 members that its own recordAndSubmit uses and that are private in its
 * typings. A multi-output pass needs them to behave like one of the backend's programs: recorded
 * on its command encoder (no extra submit), its buffers kept alive until that encoder is
 * submitted, and timed by tf.time / tf.profile.
 */
interface BackendInternals {
  commandEncoder: GPUCommandEncoder;
  commandQueueOwnedIds: WeakSet<DataId>;
  uniformPendingDisposal: GPUBuffer[];
  dispatchCountInPass: number;
  activeTimers: Array<{name: string, query: Promise<number>}>|null|undefined;
  supportTimestampQuery: boolean;
  querySet: GPUQuerySet|null;
  querySetCount: number;
}

/** The timestamp writes of a timed pass, as the backend's timed programs make them. */
function timestampWrites(backend: WebGPUBackend, internals: BackendInternals):
    GPUComputePassTimestampWrites {
  internals.querySet ??=
      backend.device.createQuerySet({type: 'timestamp', count: internals.querySetCount});
  return {querySet: internals.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1};
}

/**
 * Records dispatches whose programs write several buffers (runWebGPUProgram binds a single
 * output) as one compute pass on the backend's command encoder, exactly as the backend records
 * its own programs: the tensors are marked as used by the pending commands (so disposing them
 * before the submit keeps their buffers out of the pool), the uniform and temporary buffers go
 * back to the pool only when the commands are submitted, the pass counts towards
 * WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE, and under tf.time / tf.profile it is timed under `label`.
 *
 * @param tensors every input and output of the dispatches.
 * @param uniforms the uniform buffer's contents (a multiple of 16 bytes).
 * @param temporaryBytes sizes of scratch storage buffers; their buffers are passed to `record`.
 */
export function runMultiOutput(
    backend: WebGPUBackend, label: string, tensors: TensorInfo[], uniforms: ArrayBuffer,
    temporaryBytes: number[], record: (temporaries: GPUBuffer[]) => MultiOutputDispatch[]): void {
  const internals = backend as unknown as BackendInternals;
  const {device, queue, bufferManager} = backend;
  const uniformBuffer = bufferManager.acquireBuffer(
      uniforms.byteLength, BUFFER_USAGE.UNIFORM | BUFFER_USAGE.COPY_DST);
  const temporaries = temporaryBytes.map(bytes => bufferManager.acquireBuffer(
      bytes, TENSOR_BUFFER_USAGE));
  internals.uniformPendingDisposal.push(uniformBuffer, ...temporaries);
  queue.writeBuffer(uniformBuffer, 0, uniforms);
  const dispatches = record(temporaries);
  for (const t of tensors) internals.commandQueueOwnedIds.add(t.dataId);

  const timed = internals.activeTimers != null;
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  const pass = internals.commandEncoder.beginComputePass(
      timed && internals.supportTimestampQuery ? {timestampWrites: timestampWrites(backend, internals)} :
                                                 {});
  for (const d of dispatches) {
    const pipeline = pipelineFor(device, d.code, d.label);
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [uniformBuffer, ...d.buffers].map((buffer, i) => ({binding: i, resource: {buffer}})),
    }));
    pass.dispatchWorkgroups(...d.workgroups);
  }
  pass.end();
  internals.dispatchCountInPass += dispatches.length;
  if (timed) {
    // Resolves this pass's timestamps and submits (what the backend does after a timed program).
    internals.activeTimers!.push({name: label, query: backend.getQueryTime()});
  } else if (env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') <= internals.dispatchCountInPass) {
    backend.submitQueue();
  }
}

/** A uniform block of u32 and f32 fields (4 bytes each), padded to 16 bytes. */
export function packUniforms(fields: Array<{u32: number}|{f32: number}>): ArrayBuffer {
  const bytes = Math.max(16, Math.ceil(fields.length * 4 / 16) * 16);
  const buffer = new ArrayBuffer(bytes);
  const u32 = new Uint32Array(buffer);
  const f32 = new Float32Array(buffer);
  fields.forEach((field, i) => {
    if ('u32' in field) {
      u32[i] = field.u32;
    } else {
      f32[i] = field.f32;
    }
  });
  return buffer;
}
