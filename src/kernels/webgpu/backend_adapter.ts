/**
 * The one place that reaches into WebGPUBackend's private members.
 *
 * runWebGPUProgram binds a single output, so the Vars/PerChannel gradient (three outputs from one
 * read of the inputs) records its own compute pass, as the backend records its programs
 * (recordAndSubmit in tfjs-backend-webgpu 4.22): on the backend's command encoder, its tensors
 * and buffers kept alive until that encoder is submitted, counted towards
 * WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE and timed by tf.time / tf.profile. That needs eight members
 * that are private in the backend's typings, which a tfjs release can rename or retype without a
 * type error here. `canRecordOwnPass` therefore checks, once per backend, that each one is there
 * with the expected type; when one is not, the gradient runs through runWebGPUProgram instead
 * (kernel_body.ts: correct, if slower) and a warning says so once.
 */
import {type DataId, env, type TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

/** GPUBufferUsage flags (WebGPU spec values; the GPUBufferUsage global may be absent in Node). */
const BUFFER_USAGE = {
  COPY_SRC: 0x04,
  COPY_DST: 0x08,
  UNIFORM: 0x40,
  STORAGE: 0x80,
} as const;

/** The usage tfjs gives tensor buffers: they can then be handed back to its buffer pool. */
const TENSOR_BUFFER_USAGE = BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_SRC | BUFFER_USAGE.COPY_DST;

/** The private members of WebGPUBackend 4.22 that its recordAndSubmit uses and a pass needs. */
interface BackendInternals {
  commandEncoder: GPUCommandEncoder|null;
  commandQueueOwnedIds: WeakSet<DataId>;
  uniformPendingDisposal: GPUBuffer[];
  dispatchCountInPass: number;
  activeTimers: Array<{name: string, query: Promise<number>}>|null|undefined;
  supportTimestampQuery: boolean;
  querySet: GPUQuerySet|null;
  querySetCount: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const hasMethod = (v: unknown, name: string) => isObject(v) && typeof v[name] === 'function';

/**
 * What each member must be for the pass to work as the backend's own. `activeTimers` is only set
 * while tf.time / tf.profile runs (undefined before the first); the others are set by the
 * constructor.
 */
const EXPECTED_MEMBERS: {[K in keyof BackendInternals]: (value: unknown) => boolean} = {
  commandEncoder: v => v === null || hasMethod(v, 'beginComputePass'),
  commandQueueOwnedIds: v => hasMethod(v, 'add'),
  uniformPendingDisposal: v => Array.isArray(v),
  dispatchCountInPass: v => typeof v === 'number',
  activeTimers: v => v == null || Array.isArray(v),
  supportTimestampQuery: v => typeof v === 'boolean',
  querySet: v => v === null || isObject(v),
  querySetCount: v => typeof v === 'number',
};

/** The members of `backend` (own or inherited) that are missing or not of the expected type. */
export function unexpectedBackendMembers(backend: object): string[] {
  const members = backend as Record<string, unknown>;
  return Object.entries(EXPECTED_MEMBERS).filter(([name, expected]) => !expected(members[name]))
      .map(([name]) => name);
}

const checkedBackends = new WeakMap<object, boolean>();
let warned = false;

/**
 * Whether the gradient can record its own pass on `backend` (checked on first use of each
 * backend). If not, warns once, naming the members.
 */
export function canRecordOwnPass(backend: WebGPUBackend): boolean {
  let usable = checkedBackends.get(backend);
  if (usable == null) {
    const unexpected = unexpectedBackendMembers(backend);
    usable = unexpected.length === 0;
    checkedBackends.set(backend, usable);
    if (!usable && !warned) {
      warned = true;
      console.warn(
          `tfjs-fake-quant: this WebGPUBackend lacks ${unexpected.join(', ')} (or their types ` +
          'changed) that the fused Vars/PerChannel gradient needs (written against ' +
          'tfjs-backend-webgpu 4.22): the gradient runs through runWebGPUProgram instead, ' +
          'with the same results in more dispatches');
    }
  }
  return usable;
}

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

/** One compute dispatch of the pass: buffers in binding order after the uniforms. */
export interface PassDispatch {
  label: string;
  code: string;
  /** Bindings 1.. (binding 0 is the uniform buffer, shared by every dispatch of a pass). */
  buffers: GPUBuffer[];
  workgroups: [number, number, number];
}

/** The timestamp writes of a timed pass, as the backend's timed programs make them. */
function timestampWrites(backend: WebGPUBackend, internals: BackendInternals):
    GPUComputePassTimestampWrites {
  internals.querySet ??=
      backend.device.createQuerySet({type: 'timestamp', count: internals.querySetCount});
  return {querySet: internals.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1};
}

/**
 * Records dispatches whose programs write several buffers as one compute pass on the backend's
 * command encoder, exactly as the backend records its own programs: the tensors are marked as
 * used by the pending commands (so disposing them before the submit keeps their buffers out of
 * the pool), the uniform and temporary buffers go back to the pool only when the commands are
 * submitted, the pass counts towards WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE, and under tf.time /
 * tf.profile it is timed under `label`. Only for a backend that canRecordOwnPass.
 *
 * @param tensors every input and output of the dispatches.
 * @param uniforms the uniform buffer's contents (a multiple of 16 bytes).
 * @param temporaryBytes sizes of scratch storage buffers; their buffers are passed to `record`.
 */
export function recordOwnPass(
    backend: WebGPUBackend, label: string, tensors: TensorInfo[], uniforms: ArrayBuffer,
    temporaryBytes: number[], record: (temporaries: GPUBuffer[]) => PassDispatch[]): void {
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
  const pass = internals.commandEncoder!.beginComputePass(
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
