/// <reference types="@webgpu/types" />
/**
 * The WebGPUBackend adapter (src/kernels/webgpu/backend_adapter.ts): the private members the
 * gradient's own pass needs are checked, and a backend without one of them runs the gradient
 * through runWebGPUProgram with the same results: the whole backend matrix again on such a
 * backend (TF's cases, the float32 reference bit for bit, range sums as sums of the reference's
 * terms, large inputs, tf.grads, memory), its dispatch counts, and the one warning.
 */
import * as tf from '@tensorflow/tfjs';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {fakeQuantWithMinMaxVarsGradient, fakeQuantWithMinMaxVarsPerChannelGradient} from '../../src';
import {canRecordOwnPass, unexpectedBackendMembers} from '../../src/kernels/webgpu/backend_adapter';
import {setTargetWorkgroupsForTests} from '../../src/kernels/webgpu/webgpu_util';
import {firstMismatch, sumsMismatch} from '../shared/compare';
import {mulberry32} from '../shared/random';
import {refFakeQuantPerChannelGradient, refRangeGradientTerms} from '../shared/reference';

import {describeBackendSuite} from '../shared/backend_suite';
import {FALLBACK_BACKEND, registerFallbackBackend, REMOVED_MEMBER} from './fallback_backend';
import {countGpuWork, useWebGPU} from './webgpu_test_util';

const MEMBERS = ['commandEncoder', 'commandQueueOwnedIds', 'uniformPendingDisposal',
                 'dispatchCountInPass', 'activeTimers', 'supportTimestampQuery', 'querySet',
                 'querySetCount'];

describe('webgpu backend adapter: the member check', () => {
  it('finds every member it needs on tfjs-backend-webgpu 4.22\'s backend', () => {
    const backend = tf.backend() as unknown as WebGPUBackend;
    expect(unexpectedBackendMembers(backend)).toEqual([]);
    expect(canRecordOwnPass(backend)).toBe(true);
  });

  it('names each member that is missing or of another type', () => {
    const backend = tf.backend();
    for (const name of MEMBERS) {
      // A backend whose member has another type (a string), or none at all.
      const retyped = Object.create(backend, {[name]: {value: 'renamed'}});
      expect(unexpectedBackendMembers(retyped)).toEqual([name]);
      const missing = Object.create(backend, {[name]: {value: undefined}});
      // activeTimers is undefined until the first tf.time, so its absence cannot be told.
      expect(unexpectedBackendMembers(missing)).toEqual(name === 'activeTimers' ? [] : [name]);
    }
  });
});

describe(`webgpu gradient through runWebGPUProgram (a backend without ${REMOVED_MEMBER})`, () => {
  let warn: jest.SpyInstance;

  beforeAll(async () => {
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    registerFallbackBackend();
    await tf.setBackend(FALLBACK_BACKEND);
  });
  afterAll(async () => {
    warn.mockRestore();
    await useWebGPU();
  });

  describeBackendSuite({backend: FALLBACK_BACKEND, exactSums: false, numRuns: 30});

  it('warned once, naming the member', () => {
    const x = tf.randomUniform([300, 4], -3, 3);
    tf.dispose([x, ...Object.values(fakeQuantWithMinMaxVarsGradient(x, x, tf.scalar(-1), tf.scalar(1)))]);
    const ours = warn.mock.calls.filter(args => /tfjs-fake-quant/.test(String(args[0])));
    expect(ours.length).toBe(1);
    expect(ours[0][0]).toContain(REMOVED_MEMBER);
    expect(canRecordOwnPass(tf.backend() as unknown as WebGPUBackend)).toBe(false);
  });

  /** Runs a PerChannel gradient and checks it against the reference; returns its dispatches. */
  async function checkedGradient(rows: number, channels: number): Promise<number> {
    const rand = mulberry32(rows + channels);
    const xv = Float32Array.from({length: rows * channels}, () => rand() * 6 - 3);
    const dyv = Float32Array.from({length: rows * channels}, () => Math.round(rand() * 8 - 4));
    const mins = Array.from({length: channels}, (_, c) => -1 - c / channels);
    const maxs = Array.from({length: channels}, (_, c) => 1 + c / (2 * channels));
    const x = tf.tensor2d(xv, [rows, channels]);
    const dy = tf.tensor2d(dyv, [rows, channels]);
    const min = tf.tensor1d(mins);
    const max = tf.tensor1d(maxs);
    const before = tf.memory().numTensors;
    const {result: g, dispatches} =
        countGpuWork(() => fakeQuantWithMinMaxVarsPerChannelGradient(dy, x, min, max));
    const ref = refFakeQuantPerChannelGradient(dyv, xv, mins, maxs);
    const terms = refRangeGradientTerms(dyv, xv, mins, maxs);
    expect(firstMismatch(await g.backpropsWrtInput.data(), ref.backpropsWrtInput, true)).toBeNull();
    expect(sumsMismatch(await g.backpropWrtMin.data(), ref.backpropWrtMin, terms.below)).toBeNull();
    expect(sumsMismatch(await g.backpropWrtMax.data(), ref.backpropWrtMax, terms.above)).toBeNull();
    tf.dispose(Object.values(g));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, dy, min, max]);
    return dispatches;
  }

  it('dx, partial sums and one combine per range gradient: four dispatches, nothing read', () => {
    const x = tf.randomUniform([3000, 4], -3, 3);
    const dy = tf.randomUniform([3000, 4], -1, 1);
    const min = tf.scalar(-1);
    const max = tf.scalar(1);
    tf.dispose(Object.values(fakeQuantWithMinMaxVarsGradient(dy, x, min, max)));  // uploads
    const {result, dispatches, reads} =
        countGpuWork(() => fakeQuantWithMinMaxVarsGradient(dy, x, min, max));
    expect({dispatches, reads}).toEqual({dispatches: 4, reads: 0});
    tf.dispose([x, dy, min, max, ...Object.values(result)]);
  });

  it('adds hundreds of partial sums with a real GPU\'s layout (1024 workgroups)', async () => {
    setTargetWorkgroupsForTests(1024);
    try {
      expect(await checkedGradient(20000, 7)).toBe(4);
      expect(await checkedGradient(70000, 1)).toBe(4);
    } finally {
      setTargetWorkgroupsForTests(null);
    }
  });
});
