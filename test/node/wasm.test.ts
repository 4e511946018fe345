/**
 * The wasm kernels (the cpu loops on the wasm backend's heap), in Node:
 *   - the wasm binary is the one inside @tensorflow/tfjs-backend-wasm in node_modules: the backend
 *     initialises with fetch disabled, so nothing is downloaded;
 *   - the shared backend matrix (test/webgpu/backend_suite.ts): TF's cases, property tests against
 *     the float32 reference, large and high-rank inputs, tf.grads, memory, with every output
 *     (range sums included) bit for bit, like the cpu backend;
 *   - every output equal, bit for bit, to the cpu backend's on the same random data.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

import {FakeQuantWithMinMaxArgs, FakeQuantWithMinMaxArgsGradient, FakeQuantWithMinMaxVars, FakeQuantWithMinMaxVarsGradient, FakeQuantWithMinMaxVarsPerChannel, FakeQuantWithMinMaxVarsPerChannelGradient} from '../../src';
import {firstMismatch} from '../shared/compare';
import {mulberry32} from '../shared/random';
import {describeBackendSuite, Op, Problem, runForward, runGradient} from '../webgpu/backend_suite';

const realFetch = globalThis.fetch;

beforeAll(async () => {
  const fetched: string[] = [];
  globalThis.fetch = ((input: unknown) => {
    fetched.push(String(input));
    return Promise.reject(new Error(`tfjs-fake-quant wasm test: fetch(${String(input)}) is not allowed`));
  }) as typeof fetch;
  try {
    expect(await tf.setBackend('wasm')).toBe(true);
  } finally {
    globalThis.fetch = realFetch;
  }
  expect(fetched).toEqual([]);
});

describe('wasm kernels', () => {
  it('are registered for every op', () => {
    for (const name of [FakeQuantWithMinMaxArgs, FakeQuantWithMinMaxArgsGradient,
                        FakeQuantWithMinMaxVars, FakeQuantWithMinMaxVarsGradient,
                        FakeQuantWithMinMaxVarsPerChannel, FakeQuantWithMinMaxVarsPerChannelGradient]) {
      expect(tf.getKernel(name, 'wasm')).toBeDefined();
    }
  });

  describeBackendSuite({backend: 'wasm', exactSums: true, numRuns: 100});
});

describe('wasm kernels vs the cpu backend', () => {
  afterAll(async () => {
    await tf.setBackend('wasm');
  });

  it('give the same bits as the cpu kernels for all three ops and their gradients', async () => {
    const rand = mulberry32(99);
    const size = 30000;
    const x = Float32Array.from({length: size}, (_, i) =>
        i % 97 === 0 ? [NaN, Infinity, -Infinity, -0][i % 4] : rand() * 10 - 5);
    const dy = Float32Array.from({length: size}, (_, i) => i % 101 === 0 ? Infinity : rand() * 2 - 1);
    const problems: Array<[Op, Problem]> = [
      ['Vars', {shape: [size], x, dy, mins: [-2.3], maxs: [3.9], numBits: 8, narrowRange: false}],
      ['Args', {shape: [100, 300], x, dy, mins: [-1.1], maxs: [0.7], numBits: 16, narrowRange: true}],
      ['PerChannel', {shape: [10, 1000, 3], x, dy, mins: [-1, 0, 0.2], maxs: [1, 0, 4], numBits: 4,
                      narrowRange: false}],
    ];
    for (const [op, p] of problems) {
      const onBackend = async (name: string) => {
        await tf.setBackend(name);
        return {forward: await runForward(op, p), gradient: await runGradient(op, p)};
      };
      const cpu = await onBackend('cpu');
      const wasm = await onBackend('wasm');
      expect(firstMismatch(wasm.forward, cpu.forward, true)).toBeNull();
      expect(firstMismatch(wasm.gradient.dx, cpu.gradient.dx, true)).toBeNull();
      expect(firstMismatch(wasm.gradient.dMin, cpu.gradient.dMin, true)).toBeNull();
      expect(firstMismatch(wasm.gradient.dMax, cpu.gradient.dMax, true)).toBeNull();
    }
  });
});
