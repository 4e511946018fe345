/**
 * The globals of the first <script>-tag bundle, tfjs-fake-quant.min.js. Installed as
 * dist/types/globals.d.ts and pulled in by dist/tfjs-fake-quant.min.d.ts, the types of
 * `tfjs-fake-quant/dist/tfjs-fake-quant.min.js`, so a page's TypeScript gets them with
 * `/// <reference types="tfjs-fake-quant/dist/tfjs-fake-quant.min.js" />` (or tsconfig "types").
 * TensorFlow.js declares no global `tf`: this declares it (tfjs-core's API, which the bundle
 * needs, plus the ops the bundle adds) along with `tfjsFakeQuant`. Reference one of the two
 * bundles' types: globals-layers.d.ts declares the same names, wider.
 */
import type * as ops from './index';

export * from '@tensorflow/tfjs-core';
export * from './index';
export as namespace tf;

declare global {
  /** The package namespace. */
  // eslint-disable-next-line no-var
  var tfjsFakeQuant: typeof ops;
}
