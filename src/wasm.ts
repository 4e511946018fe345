/**
 * `tfjs-fake-quant/wasm`: the package's exports with only the wasm backend's kernels, so that a
 * bundler leaves the other backends' kernels out. Import one such entry per backend the app uses.
 */
import './core';
import './kernels/wasm/register';

export * from './core';
