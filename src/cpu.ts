/**
 * `tfjs-fake-quant/cpu`: the package's exports with only the cpu backend's kernels, so that a
 * bundler leaves the other backends' kernels out. Import one such entry per backend the app uses.
 */
import './core';
import './kernels/cpu/register';

export * from './core';
