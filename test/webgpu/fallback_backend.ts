/// <reference types="@webgpu/types" />
/**
 * A second WebGPUBackend on the same device, registered as FALLBACK_BACKEND with every kernel of
 * 'webgpu', without one of the private members the gradient's own pass needs (as a tfjs release
 * that renamed it would be): the fake-quant gradient there runs through runWebGPUProgram only
 * (src/kernels/webgpu/backend_adapter.ts). Used by adapter.webgpu.ts and bench/webgpu_adapter.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

export const FALLBACK_BACKEND = 'webgpu-without-internals';

/**
 * `querySetCount` is read by tfjs only when it times a program with timestamp queries, so the
 * backend's own programs still run without it; the adapter checks it like the other seven.
 */
export const REMOVED_MEMBER = 'querySetCount';

/** Registers FALLBACK_BACKEND (once) next to an initialised 'webgpu' backend. */
export function registerFallbackBackend(): void {
  if (tf.findBackend(FALLBACK_BACKEND) != null) return;
  const webgpu = tf.findBackend('webgpu') as WebGPUBackend | null;
  if (webgpu == null) throw new Error('registerFallbackBackend: initialise the webgpu backend first');
  // The class of the backend tfjs made (importing the package here could register it too early).
  const Backend = webgpu.constructor as typeof WebGPUBackend;
  const backend = new Backend(webgpu.device, webgpu.adapterInfo as unknown as GPUAdapterInfo);
  delete (backend as unknown as Record<string, unknown>)[REMOVED_MEMBER];
  tf.registerBackend(FALLBACK_BACKEND, () => backend, -1);
  for (const kernel of tf.getKernelsForBackend('webgpu')) {
    tf.registerKernel({...kernel, backendName: FALLBACK_BACKEND});
  }
}
