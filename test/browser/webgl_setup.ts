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

/** Counts the WebGL programs run and any read of data back to the CPU while `f` runs. */
export function countGpuWork<T>(f: () => T): {result: T; programs: number; reads: number} {
  // tslint:disable-next-line:no-any
  const backend = tf.backend() as any;
  const originals = {
    runWebGLProgram: backend.runWebGLProgram,
    readSync: backend.readSync,
    read: backend.read,
    readToGPU: backend.readToGPU,
  };
  let programs = 0;
  let reads = 0;
  backend.runWebGLProgram = function(...args: unknown[]) {
    programs++;
    return originals.runWebGLProgram.apply(this, args);
  };
  for (const name of ['readSync', 'read', 'readToGPU'] as const) {
    backend[name] = function(...args: unknown[]) {
      reads++;
      return originals[name].apply(this, args);
    };
  }
  try {
    return {result: f(), programs, reads};
  } finally {
    Object.assign(backend, originals);
  }
}
