/**
 * `saveQuantized`: a QAT model saved as a stock TF.js layers model with 8-bit kernels, which
 * `tf.loadLayersModel` loads without this package.
 */
import {io, type Tensor} from '@tensorflow/tfjs-core';
import {LayersModel, models} from '@tensorflow/tfjs-layers';

import {FakeQuant, FakeQuantWeights} from '../../layers';
import {PRODUCER} from '../tflite/writer';

import {encodeGridKernel, encodeSpan, type EncodedWeight, float32Bytes, type QuantizedDType} from './encode';
import {stockTopology} from './topology';

export interface SaveQuantizedOptions {
  /**
   * The stored form of per-channel kernels, which have no exact form on TF.js's one grid per
   * tensor: `'uint8'` (default: 4x smaller than float32; a console warning gives the error
   * measured, in steps of each channel's own grid: 0.54 to 1.04 on the test models, 2.1 on the
   * demo MLP's 784 x 128 kernel) or `'uint16'` (2x smaller; 0.002 to 0.005 steps on the test
   * models).
   */
  perChannelKernels?: QuantizedDType;
}

type Layer = LayersModel['layers'][number];

const PREFIX = 'saveQuantized';

interface StoredWeight {
  spec: io.WeightsManifestEntry;
  bytes: Uint8Array;
}

/** The worst error of a per-channel kernel stored per tensor, in steps of its channel's grid. */
interface ChannelError {
  name: string;
  steps: number;
}

/** A weight as float32 bytes, or a kernel as 8 / 16-bit levels; `name` as the stock model names it. */
function stored(name: string, shape: number[], weight: EncodedWeight): StoredWeight {
  const spec: io.WeightsManifestEntry = {name, shape, dtype: 'float32'};
  if (weight.quantization != null) spec.quantization = weight.quantization;
  return {spec, bytes: weight.bytes};
}

/** Each per-channel scale, along the kernel's last axis (kernelChannelsLast order). */
function channelSteps(wrapper: FakeQuantWeights): number[] {
  const {max} = wrapper.getKernelRange();
  const steps = 2 ** wrapper.numBits - (wrapper.narrowRange ? 2 : 1);
  return max.map((m) => (2 * m) / steps);
}

class WeightWriter {
  readonly weights: StoredWeight[] = [];
  readonly channelErrors: ChannelError[] = [];

  constructor(private readonly perChannel: QuantizedDType) {}

  /** The weights of `stock` (a layer of the stock model) from the QAT layer `qat`. */
  layer(stock: Layer, qat: Layer): void {
    if (qat instanceof LayersModel) return this.model(stock as LayersModel, qat);
    const names = stock.weights.map((w) => w.originalName);
    if (qat instanceof FakeQuantWeights) {
      const kernel = qat.kernelVariable();
      qat.layer.weights.forEach((w, i) =>
          this.weights.push(w === kernel ? this.kernel(names[i], qat) : this.float(names[i], w.read())));
      return;
    }
    qat.weights.forEach((w, i) => this.weights.push(this.float(names[i], w.read())));
  }

  model(stock: LayersModel, qat: LayersModel): void {
    for (const layer of qat.layers) {
      if (layer instanceof FakeQuant) continue;
      const name = layer instanceof FakeQuantWeights ? layer.layer.name : layer.name;
      this.layer(stock.getLayer(name), layer);
    }
  }

  private float(name: string, t: Tensor): StoredWeight {
    return stored(name, t.shape, {bytes: float32Bytes(t.dataSync() as Float32Array)});
  }

  /** The fake-quantized kernel: exact on its grid (per tensor), or on one grid over its range. */
  private kernel(name: string, wrapper: FakeQuantWeights): StoredWeight {
    const q = wrapper.quantizedKernel();
    const values = q.dataSync() as Float32Array;
    const shape = q.shape;
    q.dispose();
    if (!wrapper.perChannel) {
      const exact = encodeGridKernel(values, {numBits: wrapper.numBits, narrowRange: wrapper.narrowRange, range: wrapper.getKernelRange()});
      if (exact == null) throw new Error(`${PREFIX}: the kernel ${name} is off its quantization grid (please report).`);
      return stored(name, shape, exact);
    }
    const {weight, decoded} = encodeSpan(values, this.perChannel);
    const steps = channelSteps(wrapper);
    let worst = 0;
    decoded.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(v - values[i]) / steps[i % steps.length]);
    });
    this.channelErrors.push({name, steps: worst});
    return stored(name, shape, weight);
  }
}

function concat(parts: Uint8Array[]): ArrayBuffer {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out.buffer;
}

function saveHandler(handlerOrURL: io.IOHandler|string): io.IOHandler {
  if (typeof handlerOrURL !== 'string') {
    if (handlerOrURL == null || typeof handlerOrURL.save !== 'function') {
      throw new Error(`${PREFIX}: handlerOrURL must be a URL string or a tf.io.IOHandler with a save method.`);
    }
    return handlerOrURL;
  }
  const handlers = io.getSaveHandlers(handlerOrURL);
  if (handlers.length !== 1) {
    throw new Error(
        `${PREFIX}: ${handlers.length === 0 ? 'no' : 'more than one'} save handler for the URL ` +
        `'${handlerOrURL}' (e.g. http://, indexeddb://, localstorage://, downloads://; file:// needs tfjs-node).`);
  }
  return handlers[0];
}

function hasKernelQuantizer(model: LayersModel): boolean {
  return model.layers.some((l) => l instanceof FakeQuantWeights || (l instanceof LayersModel && hasKernelQuantizer(l)));
}

/** The model's artifacts as a stock TF.js layers model with 8-bit kernels. */
export async function quantizedArtifacts(model: LayersModel, options: SaveQuantizedOptions = {}):
    Promise<{artifacts: io.ModelArtifacts, channelErrors: ChannelError[]}> {
  if (!(model instanceof LayersModel)) {
    throw new Error(`${PREFIX}: model must be a tf.LayersModel (the model quantizeModel returns).`);
  }
  const perChannel = options.perChannelKernels ?? 'uint8';
  if (perChannel !== 'uint8' && perChannel !== 'uint16') {
    throw new Error(`${PREFIX}: options.perChannelKernels must be 'uint8' or 'uint16', got ${JSON.stringify(perChannel)}.`);
  }
  if (!hasKernelQuantizer(model)) {
    throw new Error(
        `${PREFIX}: model ${model.name} has no fake-quantized kernel (FakeQuantWeights): save the ` +
        'model quantizeModel returns, calibrated or trained.');
  }
  const modelTopology = stockTopology(model.toJSON(null, false) as Record<string, unknown>);
  // The stock model, built once: the names its loader looks the weights up by, and a check
  // that stock TF.js deserializes the topology.
  const stock = await models.modelFromJSON({modelTopology} as Parameters<typeof models.modelFromJSON>[0]);
  const writer = new WeightWriter(perChannel);
  try {
    writer.model(stock, model);
  } finally {
    stock.dispose();
  }
  const artifacts: io.ModelArtifacts = {
    modelTopology,
    format: 'layers-model',
    generatedBy: PRODUCER,
    convertedBy: null,
    weightSpecs: writer.weights.map((w) => w.spec),
    weightData: concat(writer.weights.map((w) => w.bytes)),
  };
  return {artifacts, channelErrors: writer.channelErrors};
}

/**
 * Saves a QAT model (from `quantizeModel`, calibrated or trained) as a stock TF.js layers model:
 * FakeQuant layers removed, FakeQuantWeights replaced by the layers they wrap, each kernel
 * replaced by its fake-quantized values stored with 8-bit levels (the manifest's
 * `quantization: {dtype: 'uint8', scale, min}`, which `tf.loadLayersModel` decodes as
 * `q * scale + min`). Per-tensor kernels load back bit for bit as the QAT model's fake-quantized
 * kernel; per-channel kernels have no exact form on one grid per tensor (`perChannelKernels`:
 * uint8 with a warning giving the error measured, or uint16). Biases, BatchNormalization and the
 * other weights stay float32. The loaded model computes with the QAT model's weights in float
 * (without the activation quantizers). `handlerOrURL`: a `tf.io.IOHandler` or a URL with a save
 * router (`http://`, `indexeddb://`, `localstorage://`, `downloads://`).
 */
export async function saveQuantized(
    model: LayersModel, handlerOrURL: io.IOHandler|string, options: SaveQuantizedOptions = {}): Promise<io.SaveResult> {
  const handler = saveHandler(handlerOrURL);
  const {artifacts, channelErrors} = await quantizedArtifacts(model, options);
  if (channelErrors.length > 0) {
    const worst = channelErrors.reduce((a, b) => (b.steps > a.steps ? b : a));
    const dtype = options.perChannelKernels ?? 'uint8';
    console.warn(
        `${PREFIX}: ${channelErrors.length} per-channel kernel(s) stored on one ${dtype} grid per tensor ` +
        `(TF.js's quantization has no per-channel form): up to ${worst.steps.toPrecision(3)} steps of a ` +
        `channel's own grid off the QAT model's kernel (${worst.name})` +
        (dtype === 'uint8' ? '; perChannelKernels: \'uint16\' stores them 2x larger and closer.' : '.'));
  }
  return handler.save!(artifacts);
}
