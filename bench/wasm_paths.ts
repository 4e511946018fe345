/**
 * The wasm kernels' three paths side by side in one run (issue 16): our SIMD module, our scalar
 * module (browsers without SIMD) and the JS loops (where no module instantiates), for the
 * per-tensor Vars forward and gradient and the PerChannel ones with the channel innermost
 * (3 and 64 channels), in Node on tfjs's wasm backend. Rounds interleave the paths, so that
 * load from other processes hits all alike; prints medians and each path's ratio to SIMD.
 *
 *   node scripts/run-ts.js bench/wasm_paths.ts [--sizes 1e5,1e6] [--rounds 15]
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

import {fakeQuantWithMinMaxVars, fakeQuantWithMinMaxVarsGradient, fakeQuantWithMinMaxVarsPerChannel, fakeQuantWithMinMaxVarsPerChannelGradient} from '../src';
import {forceWasmKernelPath, type WasmKernelPath} from '../src/kernels/wasm/wasm_modules';
import {median, parseSize, sizeLabel} from './report';

const PATHS: WasmKernelPath[] = ['simd', 'scalar', 'js'];

function argValue(name: string): string|undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Case {
  name: string;
  /** One call; its outputs (disposed after timing). */
  run: () => tf.Tensor[];
}

function cases(n: number): Case[] {
  const x = tf.randomUniform([n], -1.5, 1.5);
  const dy = tf.randomUniform([n], -1, 1);
  const [min, max] = [tf.scalar(-1), tf.scalar(1)];
  const perChannel = (channels: number): Case[] => {
    const shape = [n / channels, channels];
    const [xs, dys] = [x.reshape(shape), dy.reshape(shape)];
    const mins = tf.linspace(-1, -0.5, channels);
    const maxs = tf.linspace(0.5, 1, channels);
    return [
      {name: `PerChannel fwd, ${channels} channels`,
       run: () => [fakeQuantWithMinMaxVarsPerChannel(xs, mins, maxs)]},
      {name: `PerChannel grad, ${channels} channels`, run: () => {
        const g = fakeQuantWithMinMaxVarsPerChannelGradient(dys, xs, mins, maxs);
        return [g.backpropsWrtInput, g.backpropWrtMin, g.backpropWrtMax];
      }},
    ];
  };
  return [
    {name: 'Vars fwd', run: () => [fakeQuantWithMinMaxVars(x, min, max)]},
    {name: 'Vars grad', run: () => {
      const g = fakeQuantWithMinMaxVarsGradient(dy, x, min, max);
      return [g.backpropsWrtInput, g.backpropWrtMin, g.backpropWrtMax];
    }},
    ...perChannel(3),
    ...perChannel(64),
  ];
}

/**
 * Milliseconds of one call. wasm kernels compute synchronously: only the range sums are read
 * (reading dx or the forward would time a copy off the heap), as in bench/harness.ts.
 */
function timeCall(c: Case): number {
  const t0 = performance.now();
  const outputs = c.run();
  for (const t of outputs.slice(1)) t.dataSync();
  const ms = performance.now() - t0;
  tf.dispose(outputs);
  return ms;
}

async function main(): Promise<void> {
  if (!await tf.setBackend('wasm')) throw new Error('the wasm backend failed to initialise');
  const sizes = (argValue('--sizes') ?? '1e5,1e6').split(',').map(parseSize);
  const rounds = Number(argValue('--rounds') ?? 15);
  console.log('| n | case | simd ms | scalar ms | js ms | scalar ÷ simd | js ÷ simd |');
  console.log('|---|---|---|---|---|---|---|');
  for (const n of sizes) {
    tf.engine().startScope();  // the size's inputs, disposed at its end
    for (const c of cases(n)) {
      const samples: Record<string, number[]> = {simd: [], scalar: [], js: []};
      for (let round = 0; round < rounds + 2; round++) {
        for (const path of PATHS) {
          forceWasmKernelPath(path);
          const ms = timeCall(c);
          if (round >= 2) samples[path].push(ms);  // two warm-up rounds
        }
      }
      forceWasmKernelPath(null);
      const [simd, scalar, js] = PATHS.map(p => median(samples[p]));
      console.log(`| ${sizeLabel(n)} | ${c.name} | ${simd.toPrecision(3)} | ${scalar.toPrecision(3)} | ` +
                  `${js.toPrecision(3)} | ${(scalar / simd).toFixed(2)}× | ${(js / simd).toFixed(2)}× |`);
    }
    tf.engine().endScope();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
