/** Jest helpers shared by the Node suites (cpu backend). */
import * as tf from '@tensorflow/tfjs';

/** Replaces cpu kernels by counting wrappers for the duration of `fn`. */
export async function withKernelCounts<T>(
    names: string[], fn: (counts: Record<string, number>) => Promise<T>| T): Promise<T> {
  const originals = names.map((name) => tf.getKernel(name, 'cpu'));
  const counts: Record<string, number> = {};
  names.forEach((name, i) => {
    const original = originals[i];
    if (original == null) throw new Error(`kernel ${name} is not registered for cpu`);
    counts[name] = 0;
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel({
      ...original,
      kernelFunc: (args) => {
        counts[name]++;
        return original.kernelFunc(args);
      },
    });
  });
  try {
    return await fn(counts);
  } finally {
    names.forEach((name, i) => {
      tf.unregisterKernel(name, 'cpu');
      tf.registerKernel(originals[i]!);
    });
  }
}

/** Runs `fn`, expects an Error whose message matches every pattern, and no leaked tensor. */
export function expectThrowsNoLeak(fn: () => unknown, ...patterns: RegExp[]): Error {
  const before = tf.memory().numTensors;
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(Error);
  const message = (caught as Error).message;
  for (const p of patterns) expect(message).toMatch(p);
  expect(tf.memory().numTensors).toBe(before);
  return caught as Error;
}
