/** Browser test set-up: the union tfjs (core gradients), our package, webgl on SwiftShader. */
import * as tf from '@tensorflow/tfjs';
import '../../src';

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
