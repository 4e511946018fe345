/**
 * tfjs-fake-quant: TensorFlow's fake-quantization ops for TensorFlow.js. Importing this module
 * registers the kernels of every backend (cpu, webgl, webgpu, wasm), the gradients and the chained
 * tensor methods. An app that uses fewer backends can import `tfjs-fake-quant/cpu`,
 * `tfjs-fake-quant/webgl`, ... instead (same exports, one backend's kernels each).
 */
import './cpu';
import './webgl';
import './webgpu';
import './wasm';

export * from './core';
