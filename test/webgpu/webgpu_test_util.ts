/// <reference types="@webgpu/types" />
/** Helpers of the webgpu tests: backend set-up, GPU error capture, dispatch and read counting. */
import * as tf from '@tensorflow/tfjs';

/** WebGPU validation errors reported by the device since the last check (see setup.ts). */
export const gpuErrors: string[] = [];

interface WebGPUBackendLike {
  device: GPUDevice;
  adapterInfo: {vendor: string; architecture: string};
  [method: string]: unknown;
}

export function webgpuBackend(): WebGPUBackendLike {
  return tf.backend() as unknown as WebGPUBackendLike;
}

const watchedDevices = new WeakSet<GPUDevice>();

/** Selects the webgpu backend with tfjs's small-tensor CPU forwarding off (so shaders run). */
export async function useWebGPU(cpuForward = false): Promise<void> {
  if (!await tf.setBackend('webgpu')) throw new Error('the webgpu backend failed to initialise');
  await tf.ready();
  tf.env().set('WEBGPU_CPU_FORWARD', cpuForward);
  const {device} = webgpuBackend();
  if (!watchedDevices.has(device)) {
    watchedDevices.add(device);
    device.addEventListener('uncapturederror', (event: Event) => {
      gpuErrors.push(String((event as GPUUncapturedErrorEvent).error.message));
    });
  }
}

/**
 * Submits the backend's recorded commands (as a read does), which is also when it hands the
 * buffers of tensors disposed since then back to its pool.
 */
export function submitPendingCommands(): void {
  const backend = tf.backend() as unknown as
      {ensureCommandEncoderReady(): void, endComputePassEncoder(): void, submitQueue(): void};
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
}

/** countGpuWork for an async `f` (reads inside `f` are counted too). */
export async function countGpuWorkAsync<T>(f: () => Promise<T>):
    Promise<{result: T; dispatches: number; reads: number}> {
  const counters = {dispatches: 0, reads: 0};
  const restore = installCounters(counters);
  try {
    const result = await f();
    return {result, ...counters};
  } finally {
    restore();
  }
}

/** Counts compute dispatches (tfjs's and ours) and GPU-to-CPU reads while `f` runs. */
export function countGpuWork<T>(f: () => T): {result: T; dispatches: number; reads: number} {
  const counters = {dispatches: 0, reads: 0};
  const restore = installCounters(counters);
  try {
    return {result: f(), ...counters};
  } finally {
    restore();
  }
}

function installCounters(counters: {dispatches: number, reads: number}): () => void {
  const passPrototype = (globalThis as unknown as {GPUComputePassEncoder: {prototype: GPUComputePassEncoder}})
                            .GPUComputePassEncoder.prototype;
  const dispatch = passPrototype.dispatchWorkgroups;
  const backend = webgpuBackend();
  const readers = ['read', 'readSync', 'readToGPU', 'getBufferData'] as const;
  const originals = readers.map(name => backend[name] as (...args: unknown[]) => unknown);
  passPrototype.dispatchWorkgroups = function(this: GPUComputePassEncoder, ...args) {
    counters.dispatches++;
    return dispatch.apply(this, args);
  };
  readers.forEach((name, i) => {
    backend[name] = function(this: unknown, ...args: unknown[]) {
      counters.reads++;
      return originals[i].apply(this, args);
    };
  });
  return () => {
    passPrototype.dispatchWorkgroups = dispatch;
    readers.forEach((name, i) => {
      backend[name] = originals[i];
    });
  };
}
