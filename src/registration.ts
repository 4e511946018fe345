/**
 * Kernel and gradient registration that happens once per process, whichever copy of this package
 * loads first. An app may load both builds (an ES module app with a CommonJS dependency that
 * requires this package), or several entries that share kernels (`tfjs-fake-quant/webgl` and the
 * main entry). tfjs's registries are process-global, so a config that is already there is left
 * alone instead of registered again (which tfjs reports as "already registered").
 */
import {getGradient, getKernel, registerGradient, registerKernel} from '@tensorflow/tfjs-core';
import type {GradConfig, KernelConfig} from '@tensorflow/tfjs-core';

export function registerKernelsOnce(configs: readonly KernelConfig[]): void {
  for (const config of configs) {
    if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
  }
}

export function registerGradientsOnce(configs: readonly GradConfig[]): void {
  for (const config of configs) {
    if (getGradient(config.kernelName) == null) registerGradient(config);
  }
}
