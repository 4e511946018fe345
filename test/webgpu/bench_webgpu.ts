/**
 * Benchmark of the webgpu kernels in Node (Dawn), against TF's formulas written with stock tfjs ops
 * on the same backend (bench/harness.ts's "maskMul" and "minMax" composites: the nudge from the
 * min/max tensors with scalar ops, masks, casts, mul, sum) and against one `mul` + one `sum`.
 *
 *   npm run bench:webgpu                          SwiftShader here (sizes 1e5, 1e6)
 *   npm run bench:webgpu -- --sizes 1e6,16e6      other sizes
 *   npm run bench:webgpu -- --json FILE           also write the results as JSON
 *
 * On a GPU machine without Node (the shared gpu-webgpu-node tool):
 *   node scripts/test-webgpu.js --bundle-bench          .gpu/app/bench.cjs + node_modules/webgpu
 *   bash ../shared/tools/gpu-webgpu-node/prepare.sh .gpu/app bench.cjs
 *   bash .gpu/webgpu/run.sh --sizes 1e6,16e6           (there)
 *
 * One call = the op, then (gradients) both range sums read back, as a training step reads a loss,
 * or (forward) the GPU's completion: the backend's commands are submitted and
 * queue.onSubmittedWorkDone() awaited, without a read-back. Inputs: x uniform in [-1.5, 1.5], dy in
 * [-1, 1], min/max -1 and 1 as GPU-resident variables, 8 bits. Warm-up, then interleaved rounds
 * (every case once per round, order rotated); medians and minima in ms. Prints a Markdown table,
 * `RESULT {json}` lines and the two goals of issue 7.
 */
import * as tf from '@tensorflow/tfjs-core';

import {fakeQuantWithMinMaxVars, fakeQuantWithMinMaxVarsGradient} from '../../src';
import {mulberry32} from '../shared/random';

interface BackendLike {
  device: GPUDevice;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

async function gpuDone(): Promise<void> {
  const backend = tf.backend() as unknown as BackendLike;
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
  await backend.device.queue.onSubmittedWorkDone();
}

function nudgeTensors(min: tf.Scalar, max: tf.Scalar) {
  const qmin = 0;
  const qmax = 255;
  const scale = tf.div(tf.sub(max, min), qmax - qmin) as tf.Scalar;
  const zeroPoint = tf.floor(tf.add(tf.clipByValue(tf.sub(qmin, tf.div(min, scale)), qmin, qmax), 0.5));
  return {
    nudgedMin: tf.mul(tf.sub(qmin, zeroPoint), scale) as tf.Scalar,
    nudgedMax: tf.mul(tf.sub(qmax, zeroPoint), scale) as tf.Scalar,
    scale,
  };
}

interface Case {
  id: string;
  group: 'gradient'|'forward'|'floor';
  run: () => Promise<void>;
}

function cases(x: tf.Tensor, dy: tf.Tensor, min: tf.Scalar, max: tf.Scalar): Case[] {
  const readScalars = async (ts: tf.Tensor[], all: tf.Tensor[]) => {
    await Promise.all(ts.map(t => t.data()));
    tf.dispose(all);
  };
  return [
    {
      id: 'ours.grad', group: 'gradient', run: async () => {
        const r = fakeQuantWithMinMaxVarsGradient(dy, x, min, max);
        await readScalars([r.backpropWrtMin, r.backpropWrtMax], Object.values(r));
      },
    },
    {
      id: 'composite.grad.maskMul', group: 'gradient', run: async () => {
        const out = tf.tidy(() => {
          const {nudgedMin, nudgedMax} = nudgeTensors(min, max);
          const inRange = tf.logicalAnd(tf.greaterEqual(x, nudgedMin), tf.lessEqual(x, nudgedMax));
          return [
            tf.mul(dy, tf.cast(inRange, 'float32')),
            tf.sum(tf.mul(dy, tf.cast(tf.less(x, nudgedMin), 'float32'))),
            tf.sum(tf.mul(dy, tf.cast(tf.greater(x, nudgedMax), 'float32'))),
          ];
        });
        await readScalars(out.slice(1), out);
      },
    },
    {
      id: 'floor.mulSum', group: 'floor', run: async () => {
        const s = tf.tidy(() => tf.sum(tf.mul(dy, x)));
        await readScalars([s], [s]);
      },
    },
    {
      id: 'ours.fwd', group: 'forward', run: async () => {
        const y = fakeQuantWithMinMaxVars(x, min, max);
        await gpuDone();
        y.dispose();
      },
    },
    {
      id: 'composite.fwd.minMax', group: 'forward', run: async () => {
        const y = tf.tidy(() => {
          const {nudgedMin, nudgedMax, scale} = nudgeTensors(min, max);
          const quantZero = tf.floor(tf.add(tf.mul(tf.neg(nudgedMin), tf.div(255, tf.sub(max, min))), 0.5));
          const clamped = tf.maximum(tf.minimum(x, nudgedMax), nudgedMin);
          const level = tf.floor(tf.add(tf.sub(tf.div(tf.sub(clamped, nudgedMin), scale), quantZero), 0.5));
          return tf.mul(level, scale);
        });
        await gpuDone();
        y.dispose();
      },
    },
  ];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

interface Result {id: string; group: string; n: number; medianMs: number; minMs: number; samples: number}

async function benchSize(n: number, rounds: number, log: (m: string) => void): Promise<Result[]> {
  const r = mulberry32(0x5eed + n);
  const xv = new Float32Array(n);
  const dyv = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    xv[i] = (r() * 2 - 1) * 1.5;
    dyv[i] = r() * 2 - 1;
  }
  const x = tf.tensor1d(xv);
  const dy = tf.tensor1d(dyv);
  const min = tf.variable(tf.scalar(-1));
  const max = tf.variable(tf.scalar(1));
  const list = cases(x, dy, min, max);
  for (const c of list) {
    for (let i = 0; i < 3; i++) await c.run();  // uploads, shader compiles
  }
  const samples = new Map<string, number[]>(list.map(c => [c.id, []]));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < list.length; k++) {
      const c = list[(k + round) % list.length];
      const t0 = performance.now();
      await c.run();
      samples.get(c.id)!.push(performance.now() - t0);
    }
  }
  tf.dispose([x, dy, min, max]);
  return list.map(c => {
    const s = samples.get(c.id)!;
    const res = {id: c.id, group: c.group, n, medianMs: median(s), minMs: Math.min(...s), samples: s.length};
    log(`n=${n} ${c.id}: median ${res.medianMs.toFixed(3)} ms, min ${res.minMs.toFixed(3)} ms`);
    return res;
  });
}

function parseSizes(text: string): number[] {
  return text.split(',').map(s => Math.round(Number(s)));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (!await tf.setBackend('webgpu')) throw new Error('no webgpu backend');
  await tf.ready();
  const backend = tf.backend() as unknown as BackendLike & {adapterInfo: unknown};
  const adapter = (backend.device as unknown as {adapterInfo?: Record<string, string>}).adapterInfo;
  const description = JSON.stringify(adapter ? {
    vendor: adapter.vendor, architecture: adapter.architecture, device: adapter.device,
    description: adapter.description,
  } : backend.adapterInfo);
  const software = /swiftshader/i.test(description);
  const sizes = parseSizes(arg('--sizes') ?? (software ? '1e5,1e6' : '1e6,16e6'));
  const rounds = Number(arg('--rounds') ?? (software ? 5 : 21));
  console.error(`tfjs ${tf.version_core} webgpu on ${description}; sizes ${sizes}; ${rounds} rounds`);
  const results: Result[] = [];
  for (const n of sizes) results.push(...await benchSize(n, rounds, m => console.error(m)));
  const meta = {adapter: description, node: process.version, date: new Date().toISOString(), sizes, rounds};
  console.log(`RESULT ${JSON.stringify({type: 'meta', ...meta})}`);
  for (const r of results) console.log(`RESULT ${JSON.stringify({type: 'result', ...r})}`);

  const at = (id: string, n: number) => results.find(r => r.id === id && r.n === n);
  console.log(`\n### webgpu (${description})\n`);
  console.log('| n | case | median ms | min ms | ours / this |');
  console.log('|---|---|---|---|---|');
  for (const r of results) {
    const ours = at(r.group === 'forward' ? 'ours.fwd' : 'ours.grad', r.n)!;
    console.log(`| ${r.n.toExponential(0)} | ${r.id} | ${r.medianMs.toFixed(3)} | ${r.minMs.toFixed(3)} | ${
        (ours.medianMs / r.medianMs).toFixed(3)} |`);
  }
  const goals: string[] = [];
  const big = sizes.includes(16e6) ? 16e6 : Math.max(...sizes);
  const g = at('ours.grad', big);
  const c = at('composite.grad.maskMul', big);
  if (g && c) {
    const speedup = c.medianMs / g.medianMs;
    goals.push(`gradient at ${big.toExponential(0)}: ${speedup.toFixed(1)}x faster than the composite ` +
               `(goal >= 10x at 16e6 on a real GPU): ${speedup >= 10 ? 'met' : 'NOT met'}`);
  }
  const mid = sizes.includes(1e6) ? 1e6 : Math.min(...sizes);
  const gm = at('ours.grad', mid);
  const fm = at('floor.mulSum', mid);
  if (gm && fm) {
    goals.push(`gradient at ${mid.toExponential(0)}: ${gm.medianMs.toFixed(3)} ms vs mul+sum ${
        fm.medianMs.toFixed(3)} ms (goal: no slower at 1e6): ${gm.medianMs <= fm.medianMs ? 'met' : 'NOT met'}`);
  }
  console.log(`\n${goals.map(s => `- ${s}`).join('\n')}`);
  console.log(`RESULT ${JSON.stringify({type: 'goals', goals})}`);
  const jsonFile = arg('--json');
  if (jsonFile) {
    require('fs').writeFileSync(jsonFile, JSON.stringify({meta, results, goals}, null, 1) + '\n');
  }
}

(async () => {
  // `webgpu` (Dawn) is an ES module: load it natively, then give tfjs its navigator.gpu.
  const {create, globals} = await (new Function('return import("webgpu")')() as Promise<{
    create: (flags: string[]) => GPU, globals: Record<string, unknown>}>);
  Object.assign(globalThis, globals);
  (globalThis as unknown as {navigator: unknown}).navigator = {gpu: create([])};
  // The backend registers itself only if navigator.gpu exists when it loads.
  require('@tensorflow/tfjs-backend-webgpu');
  await main();
  process.exit(0);
})().catch(e => {
  console.error(e);
  process.exit(1);
});
