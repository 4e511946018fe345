/**
 * The page of bench/wasm_threads.ts: tfjs's wasm backend in Chromium, served cross-origin
 * isolated so that its threaded SIMD build can start. `?threads=0` keeps the plain SIMD build
 * (WASM_HAS_MULTITHREAD_SUPPORT off), `?threads=N` the threaded build with N threads. Runs the
 * bench harness's wasm cases and logs `RESULT {"type":"done", ...}` (or an error), then `DONE`.
 */
import * as tf from '@tensorflow/tfjs';
import {getThreadsCount, setThreadsCount, setWasmPaths} from '@tensorflow/tfjs-backend-wasm';
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';

import {wasmKernels} from '../src/kernels/wasm/wasm_modules';
import {defaultOptions, runBench} from './harness';
import {parseSize} from './report';

async function main(): Promise<void> {
  const q = new URLSearchParams(location.search);
  const threads = Number(q.get('threads') ?? 0);
  const sizes = (q.get('sizes') ?? '1e5,1e6,4e6').split(',').map(parseSize);
  setWasmPaths(`${location.origin}/wasm/`);
  if (threads === 0) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  } else {
    setThreadsCount(threads);
  }
  if (!await tf.setBackend('wasm')) throw new Error('tf.setBackend(\'wasm\') failed');
  const backend = tf.backend() as BackendWasm;
  const memory = (backend.wasm as unknown as {wasmMemory?: WebAssembly.Memory}).wasmMemory;
  const setup = {
    crossOriginIsolated: globalThis.crossOriginIsolated,
    threadedBuild: 'PThread' in backend.wasm,
    threads: getThreadsCount(),
    sharedMemory: memory?.buffer instanceof SharedArrayBuffer,
    ourKernels: wasmKernels(backend)?.path ?? 'js',
    hardwareConcurrency: navigator.hardwareConcurrency,
  };
  const {results, checks} =
      await runBench({...defaultOptions('wasm', false, 'browser'), sizes, log: () => undefined});
  console.log('RESULT ' + JSON.stringify({type: 'done', setup, results, checks}));
}

main().catch(e => console.log('RESULT ' + JSON.stringify({type: 'error', message: String(e)})))
    .finally(() => console.log('DONE'));
