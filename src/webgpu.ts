/**
 * `tfjs-fake-quant/webgpu`: the package's exports with only the webgpu backend's kernels, so that a
 * bundler leaves the other backends' kernels out. Import one such entry per backend the app uses.
 */
import './core';
import './kernels/webgpu/register';

export * from './core';
