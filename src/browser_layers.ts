/**
 * Entry point of the second <script>-tag bundle (dist/tfjs-fake-quant-layers.min.js): the Layers
 * API (`quantizeModel`, `calibrate`, `FakeQuant`, ...) and the exporters (`exportTFLite`), for
 * pages. Load it after tf.min.js (which has tfjs-layers) and tfjs-fake-quant.min.js:
 *
 * ```html
 * <script src="https://cdn.jsdelivr.net/npm/@tensorflow/tfjs@4.22.0/dist/tf.min.js"></script>
 * <script src="https://cdn.jsdelivr.net/npm/tfjs-fake-quant/dist/tfjs-fake-quant.min.js"></script>
 * <script src="https://cdn.jsdelivr.net/npm/tfjs-fake-quant/dist/tfjs-fake-quant-layers.min.js"></script>
 * <script>
 *   const qat = tfjsFakeQuant.quantizeModel(model);
 *   // ... calibrate, fit ...
 *   tfjsFakeQuant.exportTFLite(qat).then((bytes) => console.log(bytes.length));
 * </script>
 * ```
 *
 * Here the ops (`../index`) resolve to the first bundle's global `tfjsFakeQuant` (see
 * scripts/build.js), so nothing is registered twice; this bundle adds its exports to that global
 * (typed by types/globals-layers.d.ts).
 */
import * as exporters from './export';
import * as layersApi from './layers';

export * from './export';
export * from './layers';

interface GlobalWithPackage {
  tfjsFakeQuant?: Record<string, unknown>;
}

const root = globalThis as unknown as GlobalWithPackage;
root.tfjsFakeQuant = {...root.tfjsFakeQuant, ...layersApi, ...exporters};
