/**
 * The wasm kernels (our SIMD module on the wasm backend's heap), in Node:
 *   - the wasm binary is the one inside @tensorflow/tfjs-backend-wasm in node_modules: the backend
 *     initialises with fetch disabled, so nothing is downloaded;
 *   - the shared backend matrix (test/shared/backend_suite.ts): TF's cases, property tests against
 *     the float32 reference, large and high-rank inputs, tf.grads, memory, with every output
 *     bit for bit like the cpu backend, the range sums within float32 summation error;
 *   - every output equal, bit for bit, to the cpu backend's on the same random data.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

import {FakeQuantWithMinMaxArgs, FakeQuantWithMinMaxArgsGradient, FakeQuantWithMinMaxVars, fakeQuantWithMinMaxVars, FakeQuantWithMinMaxVarsGradient, FakeQuantWithMinMaxVarsPerChannel, FakeQuantWithMinMaxVarsPerChannelGradient} from '../../src';
import {firstMismatch, sumsMismatch} from '../shared/compare';
import {mulberry32} from '../shared/random';
import {compareWithReference, describeBackendSuite, type Op, referenceForward, runForward, runGradient} from '../shared/backend_suite';
import {type Problem, refNudge, refRangeGradientTerms} from '../shared/reference';

const realFetch = globalThis.fetch;

/** Until issue 16 the per-tensor forward switched to native kernels at this size: kept as a case. */
const FORMER_NATIVE_SWITCH = 1 << 15;

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

  // The SIMD range sums add in another order (test/node/wasm_simd.test.ts forces the scalar path).
  // Lighter under Stryker (stryker.config.mjs), as in cpu.test.ts: it can only let more mutants live.
  const mutationRun = process.env.TFJS_FAKE_QUANT_MUTATION === '1';
  describeBackendSuite({backend: 'wasm', exactSums: false, numRuns: mutationRun ? 30 : 100,
                        sweep: {levels: mutationRun ? 1024 : 4096}});
});

describe('wasm kernels on large inputs', () => {
  /** x with every level's tie, both nudged bounds, NaN, infinities and signed zeros, per channel. */
  function problem(shape: number[], mins: number[], maxs: number[], numBits: number, narrowRange: boolean,
                   seed: number): Problem {
    const size = shape.reduce((a, b) => a * b, 1);
    const channels = mins.length;
    const rand = mulberry32(seed);
    const special = [NaN, Infinity, -Infinity, 0, -0];
    const x = Float32Array.from({length: size}, (_, i) => {
      const c = i % channels;
      const n = refNudge(mins[c], maxs[c], numBits, narrowRange);
      const r = rand();
      if (r < 0.05) return special[Math.floor(rand() * special.length)];
      if (r < 0.1) return rand() < 0.5 ? n.nudgedMin : n.nudgedMax;
      if (r < 0.5) return n.nudgedMin + (Math.floor(rand() * (2 ** numBits)) + 0.5) * n.scale;  // ties
      return n.nudgedMin - n.scale * 3 + rand() * (n.nudgedMax - n.nudgedMin + 6 * n.scale);
    });
    const dy = Float32Array.from({length: size}, () => rand() * 2 - 1);
    return {shape, x, dy, mins, maxs, numBits, narrowRange};
  }

  it('give TF\'s results bit for bit (ties, bounds, NaN, infinities, -0), every op and range kind', async () => {
    const cases: Array<[Op, Problem]> = [
      ['Vars', problem([50000], [-2.3], [3.9], 8, false, 1)],
      ['Vars', problem([40, 1000], [0.5], [7], 4, true, 2)],
      ['Vars', problem([40000], [-1e-3], [3e-3], 16, false, 3)],
      ['Args', problem([200, 200], [-1.1], [0.7], 16, true, 4)],
      ['Args', problem([33000], [-6], [6], 2, false, 5)],
      ['Args', problem([100, 50, 7], [-1e4], [1e4], 3, true, 6)],
      ['Vars', problem([1000], [-1], [1], 8, false, 8)],
      ['Vars', problem([40000], [0], [0], 8, false, 9)],
      ['PerChannel', problem([10000, 4], [-1, 0.2, -5, -0.25], [1, 4, -1, 0.25], 8, false, 10)],
    ];
    for (const [op, p] of cases) {
      expect({op, shape: p.shape, mismatch: await compareWithReference(op, p, false)})
          .toEqual({op, shape: p.shape, mismatch: null});
    }
  });

  it('leaves no tensor or heap allocation behind', () => {
    const p = problem([50000], [-2], [2], 8, false, 10);
    const x = tf.tensor(p.x, p.shape);
    tf.dispose(fakeQuantWithMinMaxVars(x, -2, 2));
    const before = tf.memory();
    for (let i = 0; i < 5; i++) tf.dispose(fakeQuantWithMinMaxVars(x, -2, 2));
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(after.numDataBuffers).toBe(before.numDataBuffers);
    x.dispose();
  });
});

describe('wasm kernels vs the cpu backend', () => {
  afterAll(async () => {
    await tf.setBackend('wasm');
  });

  it('give the same bits as the cpu kernels for all three ops and their gradients (range sums ' +
         'within float32 summation error)', async () => {
    const size = FORMER_NATIVE_SWITCH;
    const above = 3 * 11000;
    const rand = mulberry32(99);
    const values = (n: number) => ({
      x: Float32Array.from({length: n}, (_, i) =>
          i % 97 === 0 ? [NaN, Infinity, -Infinity, -0][i % 4] : rand() * 10 - 5),
      dy: Float32Array.from({length: n}, (_, i) => i % 101 === 0 ? Infinity : rand() * 2 - 1),
    });
    const at = values(size);
    const big = values(above);
    const problems: Array<[Op, Problem]> = [
      ['Vars', {shape: [size], ...at, mins: [-2.3], maxs: [3.9], numBits: 8, narrowRange: false}],
      ['Args', {shape: [128, 256], ...at, mins: [-1.1], maxs: [0.7], numBits: 16, narrowRange: true}],
      ['Vars', {shape: [11, 3000], ...big, mins: [-0.6], maxs: [1.7], numBits: 4, narrowRange: true}],
      ['Args', {shape: [above], ...big, mins: [-3], maxs: [2.5], numBits: 8, narrowRange: false}],
      ['PerChannel', {shape: [11, 1000, 3], ...big, mins: [-1, 0, 0.2], maxs: [1, 0, 4], numBits: 4,
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
      expect(firstMismatch(wasm.forward, referenceForward(op, p), true)).toBeNull();
      expect(firstMismatch(wasm.gradient.dx, cpu.gradient.dx, true)).toBeNull();
      const terms = refRangeGradientTerms(p.dy, p.x, p.mins, p.maxs, p.numBits, p.narrowRange);
      expect(sumsMismatch(wasm.gradient.dMin, cpu.gradient.dMin, terms.below)).toBeNull();
      expect(sumsMismatch(wasm.gradient.dMax, cpu.gradient.dMax, terms.above)).toBeNull();
    }
  });

  it('match the cpu forward for every range shape, on both sides of the former native switch', async () => {
    // Inverted, NaN, infinite, empty (min == max != 0), zero and subnormal-scale ranges: every
    // path must give the loop's answer (issue 13, item 3).
    const ranges: Array<[number, number]> = [
      [3, 1], [-1, -3], [2, -2], [NaN, 1], [-1, NaN], [-Infinity, 1], [-1, Infinity],
      [-Infinity, Infinity], [2, 2], [-2, -2], [0, 0], [-0, 0], [-1e-36, 1e-36], [-1e-40, 1e-40],
      [0, 1e-45], [-3e38, 3e38], [-2.3, 3.9],
    ];
    for (const size of [FORMER_NATIVE_SWITCH - 1, FORMER_NATIVE_SWITCH]) {
      const rand = mulberry32(size);
      const x = Float32Array.from({length: size}, (_, i) =>
          i % 89 === 0 ? [NaN, Infinity, -Infinity, -0, 1e-45][i % 5] : rand() * 8 - 4);
      for (const [min, max] of ranges) {
        const p: Problem = {shape: [size], x, dy: x, mins: [min], maxs: [max], numBits: 8,
                            narrowRange: false};
        const ops: Op[] = Math.fround(min) < Math.fround(max) ? ['Vars', 'Args'] : ['Vars'];
        for (const op of ops) {
          await tf.setBackend('cpu');
          const cpu = await runForward(op, p);
          await tf.setBackend('wasm');
          const wasm = await runForward(op, p);
          expect({op, size, min, max, mismatch: firstMismatch(wasm, cpu, true)})
              .toEqual({op, size, min, max, mismatch: null});
        }
      }
    }
  });
});
