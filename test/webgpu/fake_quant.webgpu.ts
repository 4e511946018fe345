/// <reference types="@webgpu/types" />
/**
 * The webgpu kernels in Node (Dawn; SwiftShader's Vulkan driver when there is no GPU):
 *   - the shared backend matrix (test/shared/backend_suite.ts): TF's cases, property tests against the float32
 *     reference (bit for bit, sign of zero included; range sums as
 *     the reference's terms added in another order: sumsClose), large and
 *     high-rank inputs, tf.grads, memory;
 *   - dispatch counts and no GPU-to-CPU read: every forward op and Args' gradient is one dispatch,
 *     the Vars/PerChannel gradient one fused dispatch plus at most one combine dispatch;
 *   - tfjs's small-tensor CPU forwarding (no GPU work, same results);
 *   - the WGSL long division against IEEE float32 division, bit for bit, over every class of input.
 */
import * as tf from '@tensorflow/tfjs';

import {fakeQuantWithMinMaxArgs, fakeQuantWithMinMaxArgsGradient, fakeQuantWithMinMaxVars, fakeQuantWithMinMaxVarsGradient, fakeQuantWithMinMaxVarsPerChannel, fakeQuantWithMinMaxVarsPerChannelGradient} from '../../src';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {isSoftwareAdapter, setTargetWorkgroupsForTests, targetWorkgroups, tileLayout} from '../../src/kernels/webgpu/webgpu_util';
import {fakeQuantWgsl} from '../../src/kernels/webgpu/nudge_wgsl';
import {firstMismatch, sumsMismatch} from '../shared/compare';
import {mulberry32} from '../shared/random';
import {refFakeQuantPerChannel, refFakeQuantPerChannelGradient, refFakeQuantVars, refFakeQuantVarsGradient, refRangeGradientTerms} from '../shared/reference';
import {compareWithReference, describeBackendSuite} from '../shared/backend_suite';

import {countGpuWork, countGpuWorkAsync, submitPendingCommands, useWebGPU, webgpuBackend} from './webgpu_test_util';

describe('webgpu kernels', () => {
  it('runs on a WebGPU adapter, recognised as SwiftShader when that is the Vulkan driver', () => {
    const backend = webgpuBackend();
    // Printed so that a run's log says which device the results come from.
    console.log(`webgpu adapter: ${JSON.stringify(backend.adapterInfo)}`);
    expect(tf.getBackend()).toBe('webgpu');
    expect(backend.device.limits.maxComputeWorkgroupSizeX).toBeGreaterThanOrEqual(256);
    // The layout's tuning hint: scripts/test-webgpu.js picks SwiftShader unless told otherwise.
    const swiftShader = /swiftshader/i.test(process.env.VK_DRIVER_FILES ?? process.env.VK_ICD_FILENAMES ?? '');
    expect(isSoftwareAdapter(backend as unknown as WebGPUBackend)).toBe(swiftShader);
  });

  describeBackendSuite({backend: 'webgpu', exactSums: false, numRuns: 100});

  it('runs the shared suite\'s ops as GPU dispatches (not through CPU forwarding)', async () => {
    const rand = mulberry32(1);
    const x = Float32Array.from({length: 15}, () => rand() * 4 - 2);
    const dy = Float32Array.from({length: 15}, () => rand() - 0.5);
    for (const op of ['Vars', 'Args', 'PerChannel'] as const) {
      const p = {
        shape: [5, 3], x, dy, mins: op === 'PerChannel' ? [-1, -0.5, 0] : [-1],
        maxs: op === 'PerChannel' ? [1, 0.5, 0] : [1], numBits: 8, narrowRange: false,
      };
      const {result, dispatches} = await countGpuWorkAsync(() => compareWithReference(op, p, false));
      expect(result).toBeNull();
      expect(dispatches).toBe(2);  // forward, gradient (small: no combine)
    }
  });
});

/**
 * SwiftShader gets about one workgroup per core (webgpu_util.ts), so there the combine pass only
 * ever adds a few partial sums; a GPU gets 1024 workgroups and the combine pass hundreds of
 * partials (its loop over chunks and its tree). The whole suite again with that layout.
 */
describe('webgpu kernels with a real GPU\'s layout (1024 workgroups)', () => {
  beforeAll(() => setTargetWorkgroupsForTests(1024));
  afterAll(() => setTargetWorkgroupsForTests(null));

  it('splits a large gradient into hundreds of partial sums', () => {
    const backend = webgpuBackend() as unknown as WebGPUBackend;
    expect(targetWorkgroups(backend)).toBe(1024);
    expect(tileLayout(70000, 1, targetWorkgroups(backend)).tilesY).toBe(274);
    expect(tileLayout(3000 * 7, 7, targetWorkgroups(backend)).tilesY).toBe(94);
  });

  describeBackendSuite({backend: 'webgpu', exactSums: false, numRuns: 30});
});

/** Both range gradients ([dMin, dMax] per channel) are sums of the reference's terms. */
function expectRangeSums(
    actual: ArrayLike<number>[], expected: ArrayLike<number>[],
    terms: {below: Float32Array[], above: Float32Array[]}): void {
  expect(sumsMismatch(actual[0], expected[0], terms.below)).toBeNull();
  expect(sumsMismatch(actual[1], expected[1], terms.above)).toBeNull();
}

/** Counts the work of `f` after a first, untimed call (uploads, shader compilation). */
async function countAfterWarmUp(f: () => tf.Tensor[]): Promise<{dispatches: number, reads: number}> {
  tf.dispose(f());
  const {result, dispatches, reads} = countGpuWork(f);
  await Promise.all(result.map(t => t.data()));
  tf.dispose(result);
  return {dispatches, reads};
}

describe('webgpu dispatches and reads', () => {
  const size = 200000;
  let x: tf.Tensor;
  let dy: tf.Tensor;
  let min: tf.Variable<tf.Rank.R0>;
  let max: tf.Variable<tf.Rank.R0>;
  let mins: tf.Variable<tf.Rank.R1>;
  let maxs: tf.Variable<tf.Rank.R1>;

  beforeAll(async () => {
    const rand = mulberry32(3);
    x = tf.tensor2d(Float32Array.from({length: size}, () => rand() * 6 - 3), [size / 4, 4]);
    dy = tf.tensor2d(Float32Array.from({length: size}, () => rand() * 2 - 1), [size / 4, 4]);
    // Variables updated on the GPU: their values are nowhere on the CPU.
    min = tf.variable(tf.scalar(-1.5));
    max = tf.variable(tf.scalar(2));
    mins = tf.variable(tf.tensor1d([-1, -2, 0, -0.5]));
    maxs = tf.variable(tf.tensor1d([1, 2, 0, 0.5]));
    for (const v of [min, max, mins, maxs]) v.assign(tf.mul(v, 1));
  });

  afterAll(() => tf.dispose([x, dy, min, max, mins, maxs]));

  it('forward ops: one dispatch each, nothing read back', async () => {
    for (const f of [
           () => [fakeQuantWithMinMaxVars(x, min, max)],
           () => [fakeQuantWithMinMaxArgs(x, -1, 1)],
           () => [fakeQuantWithMinMaxVarsPerChannel(x, mins, maxs)],
         ]) {
      expect(await countAfterWarmUp(f)).toEqual({dispatches: 1, reads: 0});
    }
  });

  it('Args gradient: one dispatch; Vars and PerChannel gradients: fused + one combine', async () => {
    expect(await countAfterWarmUp(() => [fakeQuantWithMinMaxArgsGradient(dy, x, -1, 1)]))
        .toEqual({dispatches: 1, reads: 0});
    for (const f of [
           () => Object.values(fakeQuantWithMinMaxVarsGradient(dy, x, min, max)),
           () => Object.values(fakeQuantWithMinMaxVarsPerChannelGradient(dy, x, mins, maxs)),
         ]) {
      expect(await countAfterWarmUp(f)).toEqual({dispatches: 2, reads: 0});
    }
  });

  it('small gradients need no combine dispatch (one fused dispatch)', async () => {
    const sx = tf.randomUniform([256, 4], -3, 3);
    const sdy = tf.randomUniform([256, 4], -1, 1);
    for (const f of [
           () => Object.values(fakeQuantWithMinMaxVarsGradient(sdy, sx, min, max)),
           () => Object.values(fakeQuantWithMinMaxVarsPerChannelGradient(sdy, sx, mins, maxs)),
         ]) {
      expect(await countAfterWarmUp(f)).toEqual({dispatches: 1, reads: 0});
    }
    tf.dispose([sx, sdy]);
  });

  it('computes the right values from GPU-resident ranges', async () => {
    const xv = await x.data();
    const dyv = await dy.data();
    const forward = fakeQuantWithMinMaxVars(x, min, max);
    expect(firstMismatch(await forward.data(), refFakeQuantVars(xv, -1.5, 2), true)).toBeNull();
    const g = fakeQuantWithMinMaxVarsGradient(dy, x, min, max);
    const ref = refFakeQuantVarsGradient(dyv, xv, -1.5, 2);
    expect(firstMismatch(await g.backpropsWrtInput.data(), ref.backpropsWrtInput, true)).toBeNull();
    expectRangeSums([await g.backpropWrtMin.data(), await g.backpropWrtMax.data()],
                    [[ref.backpropWrtMin], [ref.backpropWrtMax]], refRangeGradientTerms(dyv, xv, [-1.5], [2]));
    const pc = fakeQuantWithMinMaxVarsPerChannelGradient(dy, x, mins, maxs);
    const pref = refFakeQuantPerChannelGradient(dyv, xv, [-1, -2, 0, -0.5], [1, 2, 0, 0.5]);
    expect(firstMismatch(await pc.backpropsWrtInput.data(), pref.backpropsWrtInput, true)).toBeNull();
    expectRangeSums([await pc.backpropWrtMin.data(), await pc.backpropWrtMax.data()],
                    [pref.backpropWrtMin, pref.backpropWrtMax],
                    refRangeGradientTerms(dyv, xv, [-1, -2, 0, -0.5], [1, 2, 0, 0.5]));
    expect(firstMismatch(
               await fakeQuantWithMinMaxVarsPerChannel(x, mins, maxs).data(),
               refFakeQuantPerChannel(xv, [-1, -2, 0, -0.5], [1, 2, 0, 0.5]), true))
        .toBeNull();
    tf.dispose([forward, ...Object.values(g), ...Object.values(pc)]);
  });

  it('releases every temporary GPU buffer', async () => {
    const run = () => tf.dispose([
      ...Object.values(fakeQuantWithMinMaxVarsGradient(dy, x, min, max)),
      ...Object.values(fakeQuantWithMinMaxVarsPerChannelGradient(dy, x, mins, maxs)),
      fakeQuantWithMinMaxVars(x, min, max), fakeQuantWithMinMaxArgsGradient(dy, x, -1, 1),
    ]);
    run();
    submitPendingCommands();  // buffers of disposed tensors go back to the pool only then
    const before = tf.memory() as tf.MemoryInfo & {numBytesInGPU: number};
    for (let i = 0; i < 5; i++) run();
    submitPendingCommands();
    const after = tf.memory() as tf.MemoryInfo & {numBytesInGPU: number};
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytesInGPU).toBe(before.numBytesInGPU);
  });
});

describe('webgpu gradient pass on the backend\'s command encoder', () => {
  const rand = mulberry32(9);
  const size = 100000;  // large enough for the combine dispatch
  const xv = Float32Array.from({length: size}, () => rand() * 6 - 3);
  const dyv = Float32Array.from({length: size}, () => rand() * 2 - 1);
  const ref = refFakeQuantVarsGradient(dyv, xv, -1.5, 2);
  const terms = refRangeGradientTerms(dyv, xv, [-1.5], [2]);
  let min: tf.Variable<tf.Rank.R0>;
  let max: tf.Variable<tf.Rank.R0>;

  beforeAll(() => {
    min = tf.variable(tf.scalar(-1.5));
    max = tf.variable(tf.scalar(2));
  });
  afterAll(() => tf.dispose([min, max]));

  async function expectReference(g: ReturnType<typeof fakeQuantWithMinMaxVarsGradient>): Promise<void> {
    expect(firstMismatch(await g.backpropsWrtInput.data(), ref.backpropsWrtInput, true)).toBeNull();
    expectRangeSums([await g.backpropWrtMin.data(), await g.backpropWrtMax.data()],
                    [[ref.backpropWrtMin], [ref.backpropWrtMax]], terms);
  }

  it('is batched with tfjs\'s own commands: no queue submission of its own', async () => {
    const x = tf.tensor1d(xv);
    const dy = tf.tensor1d(dyv);
    tf.dispose(Object.values(fakeQuantWithMinMaxVarsGradient(dy, x, min, max)));  // uploads
    await x.data();
    const {queue} = webgpuBackend().device;
    const submit = queue.submit;
    let submits = 0;
    queue.submit = function(this: GPUQueue, ...args: Parameters<GPUQueue['submit']>) {
      submits++;
      return submit.apply(this, args);
    };
    let g: ReturnType<typeof fakeQuantWithMinMaxVarsGradient>;
    try {
      g = fakeQuantWithMinMaxVarsGradient(dy, x, min, max);
    } finally {
      queue.submit = submit;
    }
    expect(submits).toBe(0);
    await expectReference(g);
    tf.dispose([x, dy, ...Object.values(g)]);
  });

  it('keeps inputs disposed before the commands are submitted out of the buffer pool', async () => {
    const x = tf.tensor1d(xv);
    const dy = tf.tensor1d(dyv);
    const g = fakeQuantWithMinMaxVarsGradient(dy, x, min, max);
    tf.dispose([x, dy]);
    // Same-size tensors that would take the freed buffers and overwrite them before the pass ran.
    const others = [tf.fill([size], 7), tf.fill([size], -7)];
    await expectReference(g);
    tf.dispose([...others, ...Object.values(g)]);
  });

  it('is timed by tf.time under its own name, as the backend\'s programs are', async () => {
    const x = tf.tensor1d(xv);
    const dy = tf.tensor1d(dyv);
    let g: ReturnType<typeof fakeQuantWithMinMaxVarsGradient>|undefined;
    const info = await tf.time(() => {
      g = fakeQuantWithMinMaxVarsGradient(dy, x, min, max);
    });
    expect(info.getExtraProfileInfo!()).toMatch(/^FakeQuantGradient: \d/);
    expect(typeof info.kernelMs).toBe('number');
    await expectReference(g!);
    tf.dispose([x, dy, ...Object.values(g!)]);
  });
});

describe('webgpu small-tensor CPU forwarding (WEBGPU_CPU_FORWARD)', () => {
  beforeAll(async () => useWebGPU(true));
  afterAll(async () => useWebGPU(false));

  it('runs the cpu loops on CPU-resident inputs: no dispatch, same results', async () => {
    const rand = mulberry32(5);
    const x = Float32Array.from({length: 60}, () => rand() * 6 - 3);
    const dy = Float32Array.from({length: 60}, () => rand() - 0.5);
    for (const op of ['Vars', 'Args', 'PerChannel'] as const) {
      const p = {
        shape: [20, 3], x, dy, mins: op === 'PerChannel' ? [-1, -2, 0] : [-1],
        maxs: op === 'PerChannel' ? [1, 0.5, 0] : [1], numBits: 8, narrowRange: false,
      };
      const counted = countGpuWork(() => compareWithReference(op, p, true));
      expect(await counted.result).toBeNull();
      expect(counted.dispatches).toBe(0);
    }
  });
});

describe('WGSL float32 emulation', () => {
  /**
   * Runs `fn(a[i], b[i], c[i]) -> f32` (WGSL, given the helpers of nudge_wgsl.ts) over the arrays
   * on the GPU and returns the results' bits.
   */
  async function gpuMap(call: string, a: Float32Array, b: Float32Array, c = new Float32Array(a.length)):
      Promise<Uint32Array> {
    const {device} = webgpuBackend();
    const code = `
      struct Params { zero: u32, count: u32 }
      @group(0) @binding(0) var<uniform> params: Params;
      @group(0) @binding(1) var<storage, read> a: array<f32>;
      @group(0) @binding(2) var<storage, read> b: array<f32>;
      @group(0) @binding(3) var<storage, read> c: array<f32>;
      @group(0) @binding(4) var<storage, read_write> q: array<u32>;
      ${fakeQuantWgsl({quantMin: '0.0', quantMax: '255.0', opaqueZeroBits: 'params.zero'})}
      @compute @workgroup_size(64)
      fn main(@builtin(global_invocation_id) id: vec3<u32>) {
        let i = id.x + id.y * 65535u * 64u;
        if (i < params.count) {
          _ = c[i];  // every binding used, whatever the call reads (auto layout)
          q[i] = bitcast<u32>(${call});
        }
      }`;
    const pipeline = device.createComputePipeline(
        {layout: 'auto', compute: {module: device.createShaderModule({code}), entryPoint: 'main'}});
    const bytes = a.length * 4;
    const usage = 0x80 | 0x08 | 0x04;  // STORAGE | COPY_DST | COPY_SRC
    const buffers = [a, b, c].map(data => {
      const buffer = device.createBuffer({size: bytes, usage});
      device.queue.writeBuffer(buffer, 0, data.buffer as ArrayBuffer);
      return buffer;
    });
    const out = device.createBuffer({size: bytes, usage});
    const params = device.createBuffer({size: 16, usage: 0x40 | 0x08});
    device.queue.writeBuffer(params, 0, Uint32Array.of(0, a.length, 0, 0));
    const staging = device.createBuffer({size: bytes, usage: 0x01 | 0x08});  // MAP_READ | COPY_DST
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [params, ...buffers, out].map((buffer, i) => ({binding: i, resource: {buffer}})),
    }));
    const groups = Math.ceil(a.length / 64);
    pass.dispatchWorkgroups(Math.min(groups, 65535), Math.ceil(groups / 65535));
    pass.end();
    encoder.copyBufferToBuffer(out, 0, staging, 0, bytes);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(0x01);
    const result = new Uint32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    for (const buffer of [...buffers, out, params, staging]) buffer.destroy();
    return result;
  }

  const asFloat = (bits: number) => new Float32Array(Uint32Array.of(bits).buffer)[0];

  function expectSameBits(actual: Uint32Array, expected: Float32Array, describe: (i: number) => string): void {
    const expectedBits = new Uint32Array(expected.buffer);
    for (let i = 0; i < expected.length; i++) {
      const actualIsNan = (actual[i] & 0x7fffffff) > 0x7f800000;
      if (expected[i] !== expected[i] ? !actualIsNan : actual[i] !== expectedBits[i]) {
        throw new Error(`${describe(i)} = ${asFloat(actual[i])} (0x${actual[i].toString(16)}), ` +
                        `expected ${expected[i]} (0x${expectedBits[i].toString(16)})`);
      }
    }
  }

  it('divRN equals IEEE float32 division bit for bit (normal, subnormal, zero, infinite, NaN)', async () => {
    const rand = mulberry32(11);
    const specials = [0, -0, Infinity, -Infinity, NaN, 1, -1, 3, 255, 65535, 2 ** -126, 2 ** -149,
                      -(2 ** -149), 2 ** -127, 3.4028234663852886e38, 1.1754942106924411e-38];
    const count = 200000;
    const bitsA = new Uint32Array(count);
    const bitsB = new Uint32Array(count);
    const specialBits = new Uint32Array(new Float32Array(specials).buffer);
    const randomBits = () => (rand() * 2 ** 32) >>> 0;
    // Normal numbers with exponents within +-28 of 1: quotients of every significand.
    const nearOne = () => ((rand() < 0.5 ? 0 : 0x80000000) | ((100 + Math.floor(rand() * 56)) << 23) |
                           Math.floor(rand() * 2 ** 23)) >>> 0;
    for (let i = 0; i < count; i++) {
      // Random bit patterns (every exponent, subnormals, NaN), close exponents, and specials
      // against anything.
      const kind = i % 4;
      bitsA[i] = kind === 0 ? randomBits() : kind === 3 ? specialBits[i % specials.length] : nearOne();
      bitsB[i] = kind === 0 ? randomBits() :
          kind === 2 ? specialBits[Math.floor(rand() * specials.length)] : nearOne();
    }
    const a = new Float32Array(bitsA.buffer);
    const b = new Float32Array(bitsB.buffer);
    // The float64 quotient rounded to float32 is the correctly rounded float32 quotient (double
    // rounding is innocuous for division when 53 >= 2 * 24 + 2).
    const expected = Float32Array.from(a, (v, i) => v / b[i]);
    expectSameBits(await gpuMap('divRN(a[i], b[i])', a, b), expected, i => `divRN(${a[i]}, ${b[i]})`);
  });

  it('the Vars level from the hardware quotient equals the one from divRN, ties included', async () => {
    // floor(((shifted / scale) - quantZero) + 0.5) for every bit width's scales, with shifted on,
    // next to and between the levels' rounding boundaries (where the long division must decide).
    const rand = mulberry32(12);
    const f32 = Math.fround;
    const count = 200000;
    const shifted = new Float32Array(count);
    const scale = new Float32Array(count);
    const quantZero = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const numBits = 2 + Math.floor(rand() * 15);
      const steps = 2 ** numBits - 1;
      scale[i] = f32(f32(rand() * 20 + 1e-3) / steps);
      quantZero[i] = Math.floor(rand() * steps);
      const level = Math.floor(rand() * (steps + 1));
      const kind = i % 4;
      const exactTie = f32((level + 0.5) * scale[i]);
      const bitsOff = (v: number, k: number) =>
          new Float32Array(Uint32Array.of(new Uint32Array(Float32Array.of(v).buffer)[0] + k).buffer)[0];
      shifted[i] = kind === 0 ? f32(rand() * steps * scale[i]) :
          kind === 1 ? exactTie :
          kind === 2 ? bitsOff(exactTie, Math.floor(rand() * 41) - 20) :
                       f32(level * scale[i]);
    }
    const expected = Float32Array.from(shifted, (v, i) =>
        Math.floor(f32(f32(f32(v / scale[i]) - quantZero[i]) + 0.5)));
    const r = 'NudgedRange(0.0, 0.0, b[i], 0.0, c[i])';
    expectSameBits(
        await gpuMap(`fqDividedLevel(a[i], ${r})`, shifted, scale, quantZero), expected,
        i => `level(${shifted[i]} / ${scale[i]} - ${quantZero[i]})`);
  });
});
