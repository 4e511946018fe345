/**
 * Entry point of the <script>-tag bundle (dist/tfjs-fake-quant.min.js). Load it after TensorFlow.js:
 *
 * ```html
 * <script src="https://cdn.jsdelivr.net/npm/@tensorflow/tfjs@4.22.0/dist/tf.min.js"></script>
 * <script src="https://cdn.jsdelivr.net/npm/tfjs-fake-quant/dist/tfjs-fake-quant.min.js"></script>
 * <script>tf.fakeQuantWithMinMaxVars(tf.tensor1d([-1.2, 0, 0.3, 1.7]), -1, 1).print();</script>
 * ```
 *
 * In this bundle `@tensorflow/tfjs-core` (and the backends) resolve to the page's global `tf` (see
 * scripts/build.js), so importing './index' registers the kernels and gradients into the page's
 * TensorFlow.js. Every op (each function export whose name starts with `fakeQuant`) is then added
 * to `tf`, the whole package namespace is exposed as `tfjsFakeQuant`, and when `tf` has tfjs-converter
 * (`tf.registerOp`) the graph-model executors are registered. Those globals are typed by
 * types/globals.d.ts (`/// <reference types="tfjs-fake-quant/dist/tfjs-fake-quant.min.js" />`).
 */
import {registerGraphExecutors, type RegisterOp} from './converter/executors';
import * as tfjsFakeQuant from './index';

export * from './index';

interface GlobalWithTf {
  tf?: Record<string, unknown>;
  tfjsFakeQuant?: typeof tfjsFakeQuant;
}

const root = globalThis as unknown as GlobalWithTf;
const tf = root.tf;
if (tf == null) {
  // Unreachable in the built bundle (resolving tfjs-core already checked this), kept for clarity.
  throw new Error('tfjs-fake-quant: load TensorFlow.js (global `tf`) before this script.');
}

for (const [name, value] of Object.entries(tfjsFakeQuant)) {
  if (typeof value === 'function' && name.startsWith('fakeQuant')) {
    tf[name] = value;
  }
}
root.tfjsFakeQuant = tfjsFakeQuant;

// tf.min.js includes tfjs-converter: graph models loaded afterwards run the fake-quant nodes.
if (typeof tf.registerOp === 'function') registerGraphExecutors(tf.registerOp as RegisterOp);
