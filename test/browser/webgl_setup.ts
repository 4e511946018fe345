/** Browser test set-up: the union tfjs (core gradients), our package, webgl on SwiftShader. */
import * as tf from '@tensorflow/tfjs';
import '../../src';

import {mulberry32} from '../shared/random';
import {refNudge} from '../shared/reference';

export {tf};

/** Resets the engine and applies flags before (re)creating the webgl backend. */
export async function useWebGL(flags: {[name: string]: number|boolean} = {}): Promise<void> {
  tf.engine().reset();
  tf.env().reset();
  tf.env().set('IS_TEST', true);
  tf.env().set('SOFTWARE_WEBGL_ENABLED', true);
  tf.env().set('WEBGL_CPU_FORWARD', false);
  for (const [name, value] of Object.entries(flags)) tf.env().set(name, value);
  if (!await tf.setBackend('webgl')) throw new Error('webgl backend failed to initialise');
}

/**
 * `values` as an op input: with `packed` (rank <= 6: tfjs's shaders stop there), `x * 1` (exact,
 * keeps -0 and NaN) out of a packed program, as the outputs of matMul or conv are in training
 * under WEBGL_PACK; otherwise a fresh tensor (uploaded unpacked by our programs).
 */
export function inputTensor(values: Float32Array, shape: number[], packed: boolean): tf.Tensor {
  const t = tf.tensor(values, shape);
  return packed && t.rank <= 6 ? tf.mul(t, 1) : t;
}

/**
 * Counts the WebGL programs run (every runWebGLProgram, including tfjs's own pack, unpack, upload
 * and reshape passes; `names` lists their classes in order) and any read of data back to the CPU
 * while `f` runs.
 */
export function countGpuWork<T>(f: () => T):
    {result: T; programs: number; names: string[]; reads: number} {
  // tslint:disable-next-line:no-any
  const backend = tf.backend() as any;
  const originals = {
    runWebGLProgram: backend.runWebGLProgram,
    readSync: backend.readSync,
    read: backend.read,
    readToGPU: backend.readToGPU,
  };
  let programs = 0;
  const names: string[] = [];
  let reads = 0;
  backend.runWebGLProgram = function(...args: unknown[]) {
    programs++;
    names.push((args[0] as object).constructor.name);
    return originals.runWebGLProgram.apply(this, args);
  };
  for (const name of ['readSync', 'read', 'readToGPU'] as const) {
    backend[name] = function(...args: unknown[]) {
      reads++;
      return originals[name].apply(this, args);
    };
  }
  try {
    return {result: f(), programs, names, reads};
  } finally {
    Object.assign(backend, originals);
  }
}

/**
 * Inputs mixing specials (NaN, +-Inf, +-0, nudged bounds), ties and uniform values per channel;
 * gradients with 5% NaN and +-Inf, or integers in [-4, 4] (finite sums, exact in any order: what
 * checks a reduction over many elements, where one NaN would make every sum NaN).
 */
export function makeData(shape: number[], ranges: Array<[number, number]>, numBits: number,
                  narrowRange: boolean, seed: number,
                  gradients: 'withSpecials'|'integers' = 'withSpecials'): {x: Float32Array; dy: Float32Array} {
  const size = shape.reduce((a, b) => a * b, 1);
  const rand = mulberry32(seed);
  const nudged = ranges.map(([min, max]) =>
      min === 0 && max === 0 ? null : refNudge(min, max, numBits, narrowRange));
  const x = new Float32Array(size);
  const dy = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const c = i % ranges.length;
    const [min, max] = ranges[c];
    const n = nudged[c];
    const lo = Math.min(min, max);
    const span = Math.abs(max - min) || 1;
    const special = n == null ? [NaN, Infinity, -Infinity, 0, -0, 1, -1] :
                                [NaN, Infinity, -Infinity, 0, -0, n.nudgedMin, n.nudgedMax];
    const r = rand();
    x[i] = r < 0.1 ? special[Math.floor(rand() * special.length)] :
        r < 0.3 && n != null ? n.nudgedMin + (Math.floor(rand() * 8) + 0.5) * n.scale :  // ties
        lo - span + rand() * 3 * span;
    dy[i] = gradients === 'integers' ? Math.floor(rand() * 9) - 4 :
        rand() < 0.05 ? [NaN, Infinity, -Infinity][Math.floor(rand() * 3)] : (rand() - 0.5) * 8;
  }
  return {x, dy};
}
