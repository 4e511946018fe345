/**
 * Our own wasm kernels (src/kernels/wasm/assembly, built by scripts/build-wasm.js) on the wasm
 * backend's heap, each path forced in turn (SIMD, scalar, the JS loops), against the float32
 * reference (test/shared/reference.ts): the forward and the input gradient bit for bit (sign of
 * zero included) at every size around the 4-lane remainder and the sum blocks, ties, bounds,
 * NaN, infinities, -0, subnormals, 2..16 bits, narrow range, per-channel with 1..9 and more
 * channels, zero ranges; the range sums exactly on the scalar and JS paths (the cpu kernels'
 * order) and within float32 summation error on SIMD. Also: the heap growing during a call
 * sequence, the shared-memory module on a shared memory, no tensor or heap data left behind,
 * and the committed bytes being what the source builds to.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import {execFileSync} from 'child_process';
import * as path from 'path';

import {fakeQuantWithMinMaxArgs, fakeQuantWithMinMaxArgsGradient, fakeQuantWithMinMaxVars, fakeQuantWithMinMaxVarsGradient,
        fakeQuantWithMinMaxVarsPerChannel, fakeQuantWithMinMaxVarsPerChannelGradient} from '../../src';
import {forceWasmKernelPath, type WasmKernelPath, wasmKernels} from '../../src/kernels/wasm/wasm_modules';
import {scalarBase64, simdSharedBase64} from '../../src/kernels/wasm/wasm_binaries';
import {wasmKernelConfig} from '../../src/kernels/wasm/wasm_util';
import {FAKE_QUANT_KERNEL_SPECS} from '../../src/kernels/kernel_spec';
import {firstMismatch, sumsMismatch} from '../shared/compare';
import {nextDown, nextUp} from '../shared/float32';
import {mulberry32} from '../shared/random';
import {type Problem, refFakeQuantVars, refFakeQuantVarsGradient, refNudge, refRangeGradientTerms} from '../shared/reference';
import {compareWithReference, type Op} from '../shared/backend_suite';

const PATHS: WasmKernelPath[] = ['simd', 'scalar', 'js'];
// Smaller sizes under Stryker (stryker.config.mjs), as in wasm.test.ts: it can only let more
// mutants live.
const mutationRun = process.env.TFJS_FAKE_QUANT_MUTATION === '1';

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
});

afterEach(() => forceWasmKernelPath(null));

function backend(): BackendWasm {
  return tf.backend() as BackendWasm;
}

/**
 * x with, per channel, ties of every kind of level, both nudged bounds and their neighbours,
 * NaN, infinities, signed zeros and subnormals; dy in [-1, 1] with some -0, Inf and NaN.
 */
function problem(shape: number[], mins: number[], maxs: number[], numBits: number,
                 narrowRange: boolean, seed: number, specialGradients = true): Problem {
  const size = shape.reduce((a, b) => a * b, 1);
  const channels = mins.length;
  const rand = mulberry32(seed);
  const special = [NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 1e-39, -3e-39];
  const x = Float32Array.from({length: size}, (_, i) => {
    const c = i % channels;
    const n = refNudge(mins[c], maxs[c], numBits, narrowRange);
    const bound = rand() < 0.5 ? n.nudgedMin : n.nudgedMax;
    const r = rand();
    if (r < 0.1) return special[Math.floor(rand() * special.length)];
    if (r < 0.2) return [bound, nextUp(bound), nextDown(bound)][Math.floor(rand() * 3)];
    if (r < 0.5) return n.nudgedMin + (Math.floor(rand() * (2 ** numBits)) + 0.5) * n.scale;
    return n.nudgedMin - n.scale * 3 + rand() * (n.nudgedMax - n.nudgedMin + 6 * n.scale);
  });
  const gradientSpecial = [-0, Infinity, -Infinity, NaN];
  const dy = Float32Array.from({length: size}, () =>
      specialGradients && rand() < 0.02 ? gradientSpecial[Math.floor(rand() * 4)] : rand() * 2 - 1);
  return {shape, x, dy, mins, maxs, numBits, narrowRange};
}

async function expectReference(path: WasmKernelPath, cases: Array<[Op, Problem]>): Promise<void> {
  forceWasmKernelPath(path);
  for (const [op, p] of cases) {
    const mismatch = await compareWithReference(op, p, path !== 'simd');
    expect({path, op, shape: p.shape, mins: p.mins, mismatch})
        .toEqual({path, op, shape: p.shape, mins: p.mins, mismatch: null});
  }
}

/** Sizes around the 4 lanes, the 1024-element sum blocks and the former 32,768 switch. */
const SIZES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 1023, 1024, 1025, 2047, 2049, 4095, 4097,
               32767, 32768, 32769];

describe('wasm modules', () => {
  it('run the SIMD module by default, on the backend\'s own memory', () => {
    const kernels = wasmKernels(backend());
    expect(kernels?.path).toBe('simd');
    expect(kernels?.lanes).toBe(4);
  });

  for (const path of PATHS) {
    describe(`the ${path} path`, () => {
      it('gives TF\'s results at every size around the remainders', async () => {
        const cases: Array<[Op, Problem]> = SIZES.flatMap((n, k): Array<[Op, Problem]> => [
          ['Vars', problem([n], [-2.3], [3.9], 8, false, 10 + k)],
          ['Args', problem([n], [-1.1], [0.7], 16, true, 50 + k)],
        ]);
        await expectReference(path, cases);
      });

      it('gives TF\'s results for 2..16 bits, narrow range and odd ranges', async () => {
        const ranges: Array<[number, number]> = [
          [-2.3, 3.9], [0.5, 7], [-1e-3, 3e-3], [-1e4, 1e4], [0, 1], [-1, 0], [3, 1], [2, 2],
          [-1e-40, 1e-40], [-3e38, 3e38], [0, 0], [-0, 0], [-Infinity, 1], [NaN, 1],
        ];
        const cases: Array<[Op, Problem]> = [];
        for (let numBits = 2; numBits <= 16; numBits++) {
          for (const narrowRange of [false, true]) {
            const [min, max] = ranges[(numBits * 2 + +narrowRange) % ranges.length];
            const seed = numBits * 2 + +narrowRange;
            cases.push(['Vars', problem([101], [min], [max], numBits, narrowRange, seed)]);
            if (Math.fround(min) < Math.fround(max)) {
              cases.push(['Args', problem([99], [min], [max], numBits, narrowRange, seed)]);
            }
          }
        }
        await expectReference(path, cases);
      });

      it('gives TF\'s results per channel, 1..9 channels and more, zero ranges among them', async () => {
        const cases: Array<[Op, Problem]> = [];
        for (const channels of [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 17, 64, 257]) {
          const mins = Array.from({length: channels}, (_, c) => c % 5 === 3 ? 0 : -1 - c * 0.37);
          const maxs = Array.from({length: channels}, (_, c) => c % 5 === 3 ? 0 : 0.5 + c * 0.21);
          for (const rows of mutationRun ? [0, 1, 3, 257] : [0, 1, 3, 257, 1031]) {
            cases.push(['PerChannel', problem([rows, channels], mins, maxs, 2 + channels % 8 * 2,
                                              channels % 2 === 0, channels * 1000 + rows)]);
          }
        }
        await expectReference(path, cases);
      });

      it('leaves no tensor or heap data behind', () => {
        forceWasmKernelPath(path);
        const p = problem([1000, 7], [-1, -2, 0, -3, -1, -1, -1], [1, 2, 0, 3, 1, 1, 1], 8, false, 3);
        const x = tf.tensor(p.x, p.shape);
        const dy = tf.tensor(p.dy, p.shape);
        const [min, max] = [tf.tensor1d(p.mins), tf.tensor1d(p.maxs)];
        const step = () => {
          const perChannel = fakeQuantWithMinMaxVarsPerChannelGradient(dy, x, min, max);
          const perTensor = fakeQuantWithMinMaxVarsGradient(dy, x, tf.scalar(-1), tf.scalar(1));
          tf.dispose([...Object.values(perChannel), ...Object.values(perTensor)]);
        };
        tf.tidy(step);
        const before = {memory: tf.memory(), dataIds: backend().numDataIds()};
        for (let i = 0; i < 3; i++) tf.tidy(step);
        expect({memory: tf.memory(), dataIds: backend().numDataIds()}).toEqual(before);
        tf.dispose([x, dy, min, max]);
      });
    });
  }

  it('add SIMD range sums within float32 summation error over long same-sign sums', async () => {
    // 2^20 positive terms below and above: a sequential float32 sum per lane would stray past the
    // tree bound here; blocks of 256 terms per lane, added in float64, stay well inside it.
    const n = mutationRun ? 1 << 18 : 1 << 20;
    const rand = mulberry32(7);
    const x = Float32Array.from({length: n}, () => rand() * 12 - 6);
    const dy = Float32Array.from({length: n}, () => rand());
    for (const [op, p] of [
      ['Vars', {shape: [n], x, dy, mins: [-1], maxs: [1], numBits: 8, narrowRange: false}],
      ['PerChannel', {shape: [n / 8, 8], x, dy, mins: [-1, -2, -3, -4, -1, -2, -3, -4],
                      maxs: [1, 2, 3, 4, 1, 2, 3, 4], numBits: 8, narrowRange: false}],
    ] as Array<[Op, Problem]>) {
      await expectReference('simd', [[op, p]]);
    }
  });

  it('keep working while the heap grows during a call sequence', async () => {
    const memory = (backend().wasm as unknown as {asm: {memory: WebAssembly.Memory}}).asm.memory;
    const kernels = wasmKernels(backend());
    const start = memory.buffer.byteLength;
    const held: tf.Tensor[] = [];
    let n = 1 << 16;
    // Each step holds a tensor as large as the heap so far, then runs calls whose inputs and
    // outputs need more: the heap grows during the sequence, under the same module instance.
    const growth = mutationRun ? 2 : 4;
    while (memory.buffer.byteLength < growth * start) {
      held.push(tf.zeros([memory.buffer.byteLength / 4]));
      n *= 2;
      await expectReference('simd', [
        ['Vars', problem([n + 3], [-2], [2], 8, false, n)],
        ['PerChannel', problem([n / 4 + 1, 3], [-1, 0, -5], [1, 0, 5], 4, true, n)],
      ]);
    }
    expect(memory.buffer.byteLength).toBeGreaterThanOrEqual(growth * start);
    expect(wasmKernels(backend())).toBe(kernels);
    tf.dispose(held);
  });

  it('choose the scalar module where SIMD does not validate, and the JS loops where nothing does', () => {
    const validate = WebAssembly.validate;
    const choose = (accepts: (bytes: Uint8Array) => boolean) => {
      const spy = jest.spyOn(WebAssembly, 'validate')
                      .mockImplementation(bytes => accepts(bytes as Uint8Array) && validate(bytes));
      try {
        let chosen: string|undefined;
        jest.isolateModules(() => {
          // A fresh copy of the module, with nothing compiled yet.
          const modules = require('../../src/kernels/wasm/wasm_modules') as typeof import('../../src/kernels/wasm/wasm_modules');
          const kernels = modules.wasmKernels(backend());
          chosen = kernels == null ? 'js' : `${kernels.path}, ${kernels.lanes} lanes`;
        });
        return chosen;
      } finally {
        spy.mockRestore();
      }
    };
    // The SIMD opcode prefix 0xfd stands for "has SIMD" here: the scalar module has no such byte.
    const scalarBytes = Uint8Array.from(atob(scalarBase64), c => c.charCodeAt(0));
    expect(scalarBytes.includes(0xfd)).toBe(false);
    expect(choose(() => true)).toBe('simd, 4 lanes');
    expect(choose(bytes => !bytes.includes(0xfd))).toBe('scalar, 1 lanes');
    expect(choose(() => false)).toBe('js');
    // Bytes that validate but cannot be compiled synchronously (e.g. a page's CSP): the JS loops.
    const compile = jest.spyOn(WebAssembly, 'Module').mockImplementation(() => {
      throw new WebAssembly.CompileError('refused');
    });
    try {
      expect(choose(() => true)).toBe('js');
    } finally {
      compile.mockRestore();
    }
  });

  it('call the module export of each kernel, on the SIMD and the scalar paths', () => {
    const ops: Array<[string, () => unknown]> = [
      ['forward', () => fakeQuantWithMinMaxVars(x, tf.scalar(-1), tf.scalar(1))],
      ['gradient', () => fakeQuantWithMinMaxVarsGradient(dy, x, tf.scalar(-1), tf.scalar(1))],
      ['forward', () => fakeQuantWithMinMaxArgs(x, -1, 1)],
      ['inputGradient', () => fakeQuantWithMinMaxArgsGradient(dy, x, -1, 1)],
      ['forwardChannels', () => fakeQuantWithMinMaxVarsPerChannel(x, tf.tensor1d([-1, -2, -3]), tf.tensor1d([1, 2, 3]))],
      ['gradientChannels', () => fakeQuantWithMinMaxVarsPerChannelGradient(
          dy, x, tf.tensor1d([-1, -2, -3]), tf.tensor1d([1, 2, 3]))],
    ];
    const x = tf.randomUniform([50, 3], -2, 2);
    const dy = tf.randomUniform([50, 3], -1, 1);
    for (const path of ['simd', 'scalar'] as const) {
      forceWasmKernelPath(path);
      const kernels = wasmKernels(backend())!;
      const original = kernels.exports;
      const called: string[] = [];
      // The instance's exports are frozen: a recording copy stands in for them.
      kernels.exports = Object.fromEntries(Object.entries(original).map(([name, run]) => [
        name, (...args: number[]) => {
          called.push(name);
          return (run as (...a: number[]) => void)(...args);
        },
      ])) as unknown as typeof original;
      try {
        for (const [, run] of ops) tf.tidy(() => void run());
      } finally {
        kernels.exports = original;
      }
      expect({path, called}).toEqual({path, called: ops.map(([name]) => name)});
    }
    tf.dispose([x, dy]);
  });

  it('throw a clear error when a path is forced that cannot run', () => {
    // A fake backend without a memory: no module can import it.
    forceWasmKernelPath('scalar');
    expect(() => wasmKernels({wasm: {}} as unknown as BackendWasm))
        .toThrow(/the scalar wasm kernels cannot run .*forceWasmKernelPath\('scalar'\)/);
    forceWasmKernelPath(null);
    expect(wasmKernels({wasm: {}} as unknown as BackendWasm)).toBeNull();
  });

  it('refuse a per-channel kernel spec that divides (the modules\' per-channel loops multiply)', () => {
    const spec = FAKE_QUANT_KERNEL_SPECS.FakeQuantWithMinMaxVarsPerChannel;
    expect(() => wasmKernelConfig({...spec, form: 'divide'}))
        .toThrow(/FakeQuantWithMinMaxVarsPerChannel: the wasm per-channel loops multiply; its spec says divide/);
    expect(() => wasmKernelConfig({...spec, perChannel: false, form: 'divide'})).not.toThrow();
  });
});

describe('the shared-memory SIMD module (tfjs\'s threaded build)', () => {
  it('is the module chosen for a backend whose memory is shared, and only it imports one', () => {
    // The threaded build creates its memory (`wasmMemory`) instead of exporting it.
    const threaded = {wasm: {wasmMemory: new WebAssembly.Memory({initial: 1, maximum: 65536, shared: true})}};
    const kernels = wasmKernels(threaded as unknown as BackendWasm);
    expect(kernels).toMatchObject({path: 'simd', lanes: 4});
    // The SIMD module on an unshared memory is another instance, of another module.
    expect(kernels!.exports).not.toBe(wasmKernels(backend())!.exports);
    forceWasmKernelPath('scalar');
    expect(() => wasmKernels(threaded as unknown as BackendWasm))
        .toThrow(/the scalar wasm kernels cannot run/);
  });

  it('is not needed where the engine has no SharedArrayBuffer (a page not cross-origin isolated)', () => {
    const global = globalThis as {SharedArrayBuffer?: SharedArrayBufferConstructor};
    const saved = global.SharedArrayBuffer;
    delete global.SharedArrayBuffer;
    try {
      expect(wasmKernels(backend())).toMatchObject({path: 'simd', lanes: 4});
    } finally {
      global.SharedArrayBuffer = saved;
    }
  });

  it('imports a shared memory and gives TF\'s results on it', () => {
    const memory = new WebAssembly.Memory({initial: 1, maximum: 65536, shared: true});
    const bytes = Uint8Array.from(atob(simdSharedBase64), c => c.charCodeAt(0));
    const {exports} = new WebAssembly.Instance(new WebAssembly.Module(bytes), {env: {memory}});
    const {forward, gradient} = exports as unknown as {
      forward: (...args: number[]) => void, gradient: (...args: number[]) => void,
    };
    const p = problem([1001], [-2.3], [3.9], 8, false, 5);
    const r = refNudge(-2.3, 3.9, 8, false);
    const n = p.x.length;
    const heap = new Float32Array(memory.buffer);
    heap.set(p.x, 0);
    heap.set(p.dy, n);
    forward(0, 8 * n, n, r.nudgedMin, r.nudgedMax, r.scale, r.quantZero, r.scale, 1);
    gradient(4 * n, 0, 12 * n, n, r.nudgedMin, r.nudgedMax, 16 * n, 16 * n + 4);
    expect(firstMismatch(heap.subarray(2 * n, 3 * n), refFakeQuantVars(p.x, -2.3, 3.9, 8, false), true))
        .toBeNull();
    const ref = refFakeQuantVarsGradient(p.dy, p.x, -2.3, 3.9, 8, false);
    expect(firstMismatch(heap.subarray(3 * n, 4 * n), ref.backpropsWrtInput, true)).toBeNull();
    const terms = refRangeGradientTerms(p.dy, p.x, [-2.3], [3.9], 8, false);
    expect(sumsMismatch(heap.subarray(4 * n, 4 * n + 1), [ref.backpropWrtMin], terms.below)).toBeNull();
    expect(sumsMismatch(heap.subarray(4 * n + 1, 4 * n + 2), [ref.backpropWrtMax], terms.above)).toBeNull();
  });
});

describe('the committed wasm bytes', () => {
  it('are what scripts/build-wasm.js builds from the source', () => {
    const script = path.join(__dirname, '../../scripts/build-wasm.js');
    expect(() => execFileSync(process.execPath, [script, '--check'], {stdio: 'pipe', timeout: 120000}))
        .not.toThrow();
  }, 150000);
});
