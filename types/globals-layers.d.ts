/**
 * The globals once the second <script>-tag bundle, tfjs-fake-quant-layers.min.js, is loaded after
 * tf.min.js and tfjs-fake-quant.min.js. Installed as dist/types/globals-layers.d.ts and pulled in
 * by dist/tfjs-fake-quant-layers.min.d.ts, the types of
 * `tfjs-fake-quant/dist/tfjs-fake-quant-layers.min.js`: `tf` is all of tf.min.js plus the ops, and
 * `tfjsFakeQuant` also has the Layers API (quantizeModel, calibrate, FakeQuant, ...) and the
 * exporters (exportTFLite, ...). Reference these or globals.d.ts's bundle, not both.
 */
import type * as ops from './index';
import type * as layersApi from './layers/index';
import type * as exporters from './export/index';

export * from '@tensorflow/tfjs';
export * from './index';
export as namespace tf;

declare global {
  /** The package namespace: the ops, the Layers API and the exporters. */
  // eslint-disable-next-line no-var
  var tfjsFakeQuant: typeof ops & typeof layersApi & typeof exporters;
}
