/**
 * The Vars/PerChannel gradient on webgpu through its own pass (src/kernels/webgpu/backend_adapter.ts:
 * one fused dispatch, plus a combine) against the public runWebGPUProgram path that a backend
 * without the private members it needs gets (four dispatches), side by side in one run: the
 * rounds alternate between the two backends (the same device), and the table gives each path's
 * median time per gradient and their ratio.
 *
 * Usage: node scripts/test-webgpu.js --run bench/webgpu_adapter.ts [--rounds N] [--sizes 1e5,1e6]
 */
import * as tf from '@tensorflow/tfjs-core';

import {fakeQuantWithMinMaxVarsGradient, fakeQuantWithMinMaxVarsPerChannelGradient} from '../src';
import {FALLBACK_BACKEND, registerFallbackBackend} from '../test/webgpu/fallback_backend';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function selectWebGPU(): Promise<void> {
  // `webgpu` is an ES module: load it natively (not through the bundle's require).
  const {create, globals} = await (new Function('return import("webgpu")')() as Promise<{
    create: (flags: string[]) => GPU, globals: Record<string, unknown>}>);
  Object.assign(globalThis, globals);
  (globalThis as unknown as {navigator: unknown}).navigator = {gpu: create([])};
  require('@tensorflow/tfjs-backend-webgpu');
  if (!await tf.setBackend('webgpu')) {
    throw new Error('no WebGPU adapter: run through node scripts/test-webgpu.js --run');
  }
  tf.env().set('WEBGPU_CPU_FORWARD', false);
}

type Case = {name: string, run: () => tf.Tensor[]};

/** The gradients on the active backend; their inputs are created (and uploaded) by the caller. */
function cases(size: number): {cases: Case[], inputs: tf.Tensor[]} {
  const channels = 16;
  const x = tf.randomUniform([size / channels, channels], -3, 3, 'float32', 1);
  const dy = tf.randomUniform([size / channels, channels], -1, 1, 'float32', 2);
  const min = tf.scalar(-1);
  const max = tf.scalar(1.5);
  const mins = tf.fill([channels], -1) as tf.Tensor1D;
  const maxs = tf.fill([channels], 1.5) as tf.Tensor1D;
  return {
    inputs: [x, dy, min, max, mins, maxs],
    cases: [
      {name: 'Vars gradient', run: () => Object.values(fakeQuantWithMinMaxVarsGradient(dy, x, min, max))},
      {name: `PerChannel gradient (${channels} channels)`,
       run: () => Object.values(fakeQuantWithMinMaxVarsPerChannelGradient(dy, x, mins, maxs))},
    ],
  };
}

/** Milliseconds per call of `run` over `calls` calls, the GPU work included (one read at the end). */
async function timeCalls(run: () => tf.Tensor[], calls: number): Promise<number> {
  const start = performance.now();
  let last: tf.Tensor[] = [];
  for (let i = 0; i < calls; i++) {
    tf.dispose(last);
    last = run();
  }
  await Promise.all(last.map(t => t.data()));
  tf.dispose(last);
  return (performance.now() - start) / calls;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  await selectWebGPU();
  registerFallbackBackend();
  const rounds = Number(option('rounds', '7'));
  const sizes = option('sizes', '1e5,1e6').split(',').map(Number);
  const backends = ['webgpu', FALLBACK_BACKEND];
  console.log('| gradient | elements | own pass (ms) | runWebGPUProgram path (ms) | ratio |');
  console.log('|---|---:|---:|---:|---:|');
  for (const size of sizes) {
    // Inputs per backend (a tensor lives on one backend); warm-up compiles the pipelines.
    const perBackend = new Map<string, ReturnType<typeof cases>>();
    for (const name of backends) {
      await tf.setBackend(name);
      const set = cases(size);
      for (const c of set.cases) await timeCalls(c.run, 2);
      perBackend.set(name, set);
    }
    const calls = size >= 1e6 ? 5 : 20;
    for (let c = 0; c < perBackend.get('webgpu')!.cases.length; c++) {
      const times = new Map<string, number[]>(backends.map(name => [name, []]));
      for (let r = 0; r < rounds; r++) {
        for (const name of backends) {
          await tf.setBackend(name);
          times.get(name)!.push(await timeCalls(perBackend.get(name)!.cases[c].run, calls));
        }
      }
      const own = median(times.get('webgpu')!);
      const fallback = median(times.get(FALLBACK_BACKEND)!);
      console.log(`| ${perBackend.get('webgpu')!.cases[c].name} | ${size.toExponential(0)} | ` +
                  `${own.toFixed(2)} | ${fallback.toFixed(2)} | ${(fallback / own).toFixed(2)} |`);
    }
    for (const name of backends) {
      await tf.setBackend(name);
      tf.dispose(perBackend.get(name)!.inputs);
    }
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
