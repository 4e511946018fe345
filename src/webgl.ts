/**
 * `tfjs-fake-quant/webgl`: the package's exports with only the webgl backend's kernels, so that a
 * bundler leaves the other backends' kernels out. Import one such entry per backend the app uses.
 */
import './core';
import './kernels/webgl/register';

export * from './core';
