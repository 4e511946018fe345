/// <reference types="@webgpu/types" />
/**
 * Jest setup of the webgpu project: the union tfjs package (core gradients), the webgpu backend
 * (registered because the environment provides navigator.gpu), this package, leak checks on.
 * Every WebGPU validation error (uncaptured, so asynchronous) fails the test that caused it.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import '../../src';

import {gpuErrors, useWebGPU} from './webgpu_test_util';

tf.env().set('IS_TEST', true);

beforeAll(async () => {
  await useWebGPU();
});

afterEach(async () => {
  // Uncaptured errors arrive as events: let the device deliver pending ones first.
  await (tf.backend() as unknown as {device: GPUDevice}).device.queue.onSubmittedWorkDone();
  const errors = gpuErrors.splice(0);
  expect(errors).toEqual([]);
});
