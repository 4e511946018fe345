/**
 * Types of the globals once the second <script>-tag bundle, tfjs-fake-quant-layers.min.js, is
 * loaded (installed as dist/tfjs-fake-quant-layers.min.d.ts, the types of
 * `tfjs-fake-quant/dist/tfjs-fake-quant-layers.min.js`): `tfjsFakeQuant` also has the Layers API
 * (quantizeModel, calibrate, FakeQuant, ...) and the exporters (exportTFLite, ...).
 */
/// <reference path="./tfjs-fake-quant.min.d.ts" />
import type * as layersApi from './types/layers/index';
import type * as exporters from './types/export/index';

type LayersApi = typeof layersApi;
type Exporters = typeof exporters;

declare global {
  interface TfjsFakeQuantGlobal extends LayersApi, Exporters {}
}
