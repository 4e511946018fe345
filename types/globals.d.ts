/**
 * Types of the globals of the first <script>-tag bundle, tfjs-fake-quant.min.js (installed as
 * dist/tfjs-fake-quant.min.d.ts, the types of `tfjs-fake-quant/dist/tfjs-fake-quant.min.js`). A page's
 * TypeScript gets them with
 * `/// <reference types="tfjs-fake-quant/dist/tfjs-fake-quant.min.js" />` (or tsconfig "types").
 */
import type * as ops from './types/index';

type Ops = typeof ops;

declare global {
  /** The package namespace (tfjs-fake-quant-layers.min.js adds the Layers API and exporters). */
  interface TfjsFakeQuantGlobal extends Ops {}
  // eslint-disable-next-line no-var
  var tfjsFakeQuant: TfjsFakeQuantGlobal;
}

/**
 * The bundle adds every op (the `fakeQuant*` functions) to the page's global `tf`, whose types
 * (@tensorflow/tfjs's `export as namespace tf`) re-export tfjs-core's.
 */
declare module '@tensorflow/tfjs-core' {
  export const fakeQuantWithMinMaxArgs: Ops['fakeQuantWithMinMaxArgs'];
  export const fakeQuantWithMinMaxArgsGradient: Ops['fakeQuantWithMinMaxArgsGradient'];
  export const fakeQuantWithMinMaxVars: Ops['fakeQuantWithMinMaxVars'];
  export const fakeQuantWithMinMaxVarsGradient: Ops['fakeQuantWithMinMaxVarsGradient'];
  export const fakeQuantWithMinMaxVarsPerChannel: Ops['fakeQuantWithMinMaxVarsPerChannel'];
  export const fakeQuantWithMinMaxVarsPerChannelGradient: Ops['fakeQuantWithMinMaxVarsPerChannelGradient'];
}
