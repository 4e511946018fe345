/**
 * `quantizeModel`: a quantization-aware copy of a tfjs-layers model, and `calibrate`, which sets
 * its activation ranges from data.
 */
import {dispose, Tensor} from '@tensorflow/tfjs-core';
import {input, layers, LayersModel, model as functionalModel, Sequential, sequential, SymbolicTensor} from '@tensorflow/tfjs-layers';

import {assertNumBits} from './common';
import {CalibrationMethod, FakeQuant, RangeMode} from './fake_quant';
import {FakeQuantWeights, KERNEL_LAYERS} from './fake_quant_weights';
import {fusedProducers, modelNodes} from './fusion';

type Layer = InstanceType<typeof layers.Layer>;
type LayerNode = Layer['inboundNodes'][number];

export interface QuantizeModelOptions {
  /** Bit width of Dense / Conv1D / Conv2D kernels (symmetric, narrow range). Default 8. */
  weightBits?: number;
  /** Bit width of the activations (asymmetric, full range, as TF). Default 8. */
  activationBits?: number;
  /** One kernel range per output channel (default true) or one per kernel. */
  perChannelWeights?: boolean;
  /** How activation ranges are set: `'ema'` (default) or `'learned'`. See `FakeQuant`. */
  mode?: RangeMode;
  /** Decay of the moving averages in `'ema'` mode. Default 0.999. */
  emaDecay?: number;
  /** Fake-quantize the model's inputs too (as TFLite, whose inputs are quantized). Default true. */
  quantizeInputs?: boolean;
  /**
   * Initial activation range, until `calibrate` or training sets it. Default [-6, 6] (TF's).
   * Fine-tuning a trained model works best from calibrated ranges: call `calibrate` first.
   */
  initRange?: [number, number];
  /**
   * Per-layer bit widths, by the original layer's name: e.g. keep the last layer's outputs at
   * 8 bits in a 4-bit model with `{dense_out: {activationBits: 8}}`.
   */
  layerOptions?: {[layerName: string]: {weightBits?: number; activationBits?: number}};
}

/**
 * Layers whose output values are (a subset of) their input values: a fake-quantized input stays
 * on the quantization grid through them, so they get no output quantizer (as TF Model
 * Optimization's default scheme, which leaves reshapes, max pooling and dropout alone).
 */
const VALUE_PRESERVING = new Set([
  'Flatten', 'Reshape', 'Permute', 'RepeatVector', 'Dropout', 'SpatialDropout1D', 'AlphaDropout',
  'GaussianDropout', 'GaussianNoise', 'MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D',
  'GlobalMaxPooling1D', 'GlobalMaxPooling2D', 'ZeroPadding2D', 'Cropping2D', 'Masking',
]);

function isValuePreserving(layer: Layer): boolean {
  const className = layer.getClassName();
  if (className === 'UpSampling2D') {
    return (layer.getConfig() as {interpolation?: string}).interpolation !== 'bilinear';
  }
  return VALUE_PRESERVING.has(className);
}

interface Resolved {
  weightBits: number;
  activationBits: number;
  perChannelWeights: boolean;
  mode: RangeMode;
  emaDecay: number;
  quantizeInputs: boolean;
  initRange: [number, number];
  layerOptions: NonNullable<QuantizeModelOptions['layerOptions']>;
}

function resolveOptions(options: QuantizeModelOptions): Resolved {
  const r: Resolved = {
    weightBits: options.weightBits ?? 8,
    activationBits: options.activationBits ?? 8,
    perChannelWeights: options.perChannelWeights ?? true,
    mode: options.mode ?? 'ema',
    emaDecay: options.emaDecay ?? 0.999,
    quantizeInputs: options.quantizeInputs ?? true,
    initRange: options.initRange ?? [-6, 6],
    layerOptions: options.layerOptions ?? {},
  };
  assertNumBits(r.weightBits, 'quantizeModel', 'weightBits');
  assertNumBits(r.activationBits, 'quantizeModel', 'activationBits');
  for (const [name, o] of Object.entries(r.layerOptions)) {
    if (o.weightBits != null) assertNumBits(o.weightBits, 'quantizeModel', `layerOptions.${name}.weightBits`);
    if (o.activationBits != null) {
      assertNumBits(o.activationBits, 'quantizeModel', `layerOptions.${name}.activationBits`);
    }
  }
  return r;
}

/** Builds the replacement of one layer of the float model, and its output quantizers. */
class Transformer {
  /**
   * Original layer -> its copy in the quantized model (a FakeQuantWeights for kernel layers, the
   * quantized model for a nested model).
   */
  readonly copies = new Map<Layer, Layer>();
  private readonly usedNames = new Set<string>();

  constructor(private readonly o: Resolved, private readonly fused: ReadonlySet<Layer>) {}

  copyOf(layer: Layer): Layer {
    let copy = this.copies.get(layer);
    if (copy == null) {
      if (layer instanceof FakeQuant || layer instanceof FakeQuantWeights) {
        throw new Error(`quantizeModel: the model is already quantized (layer ${layer.name}).`);
      }
      if (layer instanceof LayersModel) {
        // Quantized on its own, with its weights; what feeds it is already quantized out here.
        copy = quantizeModel(layer, {...this.o, quantizeInputs: false});
        // A frozen base stays frozen (its layers keep their own flags, which freezing leaves on).
        copy.trainable = layer.trainable;
        this.copies.set(layer, copy);
        return copy;
      }
      const clone = cloneLayer(layer);
      if (KERNEL_LAYERS.has(layer.getClassName())) {
        copy = new FakeQuantWeights({
          layer: clone,
          name: this.uniqueName(`quant_${layer.name}`),
          numBits: this.o.layerOptions[layer.name]?.weightBits ?? this.o.weightBits,
          perChannel: this.o.perChannelWeights,
          narrowRange: true,
        });
      } else {
        copy = clone;
      }
      this.copies.set(layer, copy);
    }
    return copy;
  }

  /**
   * Whether the outputs of `layer` get a FakeQuant (an InputLayer's: with quantizeInputs; a
   * nested model's: no, its own layers quantize them; a layer fused with its consumer: no).
   */
  quantizesOutput(layer: Layer): boolean {
    if (layer.getClassName() === 'InputLayer') return this.o.quantizeInputs;
    if (layer instanceof LayersModel || this.fused.has(layer)) return false;
    return !isValuePreserving(layer);
  }

  outputQuantizer(layer: Layer, suffix = ''): FakeQuant {
    return new FakeQuant({
      name: this.uniqueName(`${layer.name}_fq${suffix}`),
      numBits: this.o.layerOptions[layer.name]?.activationBits ?? this.o.activationBits,
      narrowRange: false,
      perChannel: false,
      mode: this.o.mode,
      emaDecay: this.o.emaDecay,
      initMin: this.o.initRange[0],
      initMax: this.o.initRange[1],
    });
  }

  reserve(name: string): void {
    this.usedNames.add(name);
  }

  private uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.usedNames.has(name); i++) name = `${base}_${i}`;
    this.usedNames.add(name);
    return name;
  }

  /** Copies the float model's weights into the quantized model's layers (nested: done). */
  copyWeights(): void {
    for (const [orig, copy] of this.copies) {
      if (orig instanceof LayersModel) continue;
      const weights = orig.getWeights();
      if (weights.length > 0) copy.setWeights(weights);
    }
  }
}

/** A fresh, unbuilt layer with the same configuration (no input shape: it is applied to one). */
function cloneLayer(layer: Layer): Layer {
  const cls = layer.constructor as unknown as {
    fromConfig(cls: unknown, config: object): Layer;
  };
  const config = JSON.parse(JSON.stringify(layer.getConfig()));
  delete config.batchInputShape;
  delete config.inputShape;
  const clone = cls.fromConfig(cls, config);
  clone.trainable = layer.trainable;
  return clone;
}

/**
 * Returns a quantization-aware copy of `model` (Sequential or functional), initialised with its
 * weights: every Dense / Conv1D / Conv2D kernel is fake-quantized (`FakeQuantWeights`: per
 * channel, symmetric, narrow range, TF's default for weights) and the output of every layer that
 * computes new values, and the model inputs, go through a `FakeQuant` layer (asymmetric,
 * `activationBits`, range mode `mode`). Reshapes, max pooling and dropout keep their input's
 * quantization and get none, and so do tensors inside blocks TFLite fuses (`fusesInto`: kernel
 * layer -> BatchNormalization -> ReLU). A nested model (a model used as a layer, e.g. a pretrained base) is
 * replaced by its own quantized copy, whose inputs are not quantized again. The float model is
 * left unchanged.
 *
 * Compile and `fit` the returned model to fine-tune it (QAT); call `calibrate` first so the
 * activation ranges start from the data rather than [-6, 6]. For post-training quantization
 * call `calibrate` and predict, without training.
 */
export function quantizeModel(model: Sequential, options?: QuantizeModelOptions): Sequential;
export function quantizeModel(model: LayersModel, options?: QuantizeModelOptions): LayersModel;
export function quantizeModel(model: LayersModel, options: QuantizeModelOptions = {}): LayersModel {
  if (!(model instanceof LayersModel)) {
    throw new Error('quantizeModel: model must be a tf.LayersModel (tf.sequential or tf.model).');
  }
  const o = resolveOptions(options);
  const t = new Transformer(o, fusedProducers(model));
  // The copies keep their names; new layers (wrappers, quantizers) must not take one of them.
  for (const layer of model.layers) t.reserve(layer.name);
  const quantized = model instanceof Sequential ? quantizeSequential(model, t) : quantizeFunctional(model, t);
  t.copyWeights();
  return quantized;
}

function quantizeSequential(model: Sequential, t: Transformer): Sequential {
  if (model.inputs == null || model.inputs.length !== 1) {
    throw new Error('quantizeModel: the Sequential model has no input yet (give its first layer an inputShape).');
  }
  const inputTensor = model.inputs[0];
  const inputLayer = inputTensor.sourceLayer as Layer;
  const out = sequential({name: `${model.name}_quantized`});
  t.reserve(inputLayer.name);
  out.add(layers.inputLayer({batchInputShape: inputTensor.shape, dtype: inputTensor.dtype, name: inputLayer.name}));
  if (t.quantizesOutput(inputLayer)) out.add(t.outputQuantizer(inputLayer));
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;  // an explicit one: added above
    out.add(t.copyOf(layer));
    if (t.quantizesOutput(layer)) out.add(t.outputQuantizer(layer));
  }
  return out;
}

function quantizeFunctional(model: LayersModel, t: Transformer): LayersModel {
  const map = new Map<SymbolicTensor, SymbolicTensor>();
  const inputs = model.inputs.map((x) => {
    const source = x.sourceLayer as Layer;
    t.reserve(source.name);
    const newInput = input({batchShape: x.shape, dtype: x.dtype, name: source.name});
    map.set(x, t.quantizesOutput(source) ? t.outputQuantizer(source).apply(newInput) as SymbolicTensor : newInput);
    return newInput;
  });

  let pending: Array<{layer: Layer; node: LayerNode; index: number}> = [];
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    modelNodes(model, layer).forEach((node, index) => pending.push({layer, node, index}));
  }
  // Apply each node once all its inputs exist in the new graph (a topological order).
  while (pending.length > 0) {
    const waiting: typeof pending = [];
    for (const item of pending) {
      const ins = item.node.inputTensors.map((x) => map.get(x));
      if (ins.some((x) => x == null)) {
        waiting.push(item);
        continue;
      }
      const {layer, node, index} = item;
      const copy = t.copyOf(layer);
      const args = ins as SymbolicTensor[];
      const result = copy.apply(args.length === 1 ? args[0] : args, node.callArgs ?? {});
      const outs = (Array.isArray(result) ? result : [result]) as SymbolicTensor[];
      outs.forEach((y, k) => {
        let q = y;
        if (t.quantizesOutput(layer)) {
          const suffix = (index > 0 ? `_${index}` : '') + (outs.length > 1 ? `_${k}` : '');
          q = t.outputQuantizer(layer, suffix).apply(y) as SymbolicTensor;
        }
        map.set(node.outputTensors[k], q);
      });
    }
    if (waiting.length === pending.length) {
      throw new Error(
          'quantizeModel: could not order the layers of the model (unreachable inputs of ' +
          `${waiting.map((w) => w.layer.name).join(', ')}).`);
    }
    pending = waiting;
  }
  const outputs = model.outputs.map((y) => {
    const q = map.get(y);
    if (q == null) throw new Error(`quantizeModel: model output ${y.name} was not reached.`);
    return q;
  });
  return functionalModel({inputs, outputs, name: `${model.name}_quantized`});
}

/** The FakeQuant layers of a model (activation quantizers), in order, nested models' included. */
export function fakeQuantLayers(model: LayersModel): FakeQuant[] {
  return model.layers.flatMap((l): FakeQuant[] => l instanceof FakeQuant ? [l] :
                                  l instanceof LayersModel ? fakeQuantLayers(l) :
                                                             []);
}

export interface CalibrateOptions {
  /** Batch size of the calibration pass. Default 256. */
  batchSize?: number;
  /**
   * `'minmax'` (default): the range is the extremes over all the data; `'average'`: the mean of
   * the per-batch extremes (less sensitive to outliers). Either is widened to include 0.
   */
  method?: CalibrationMethod;
}

/**
 * Sets the range of every `FakeQuant` layer of `model` from the data `x` (post-training
 * calibration): runs the model once over `x` in inference mode with all its FakeQuant layers
 * passing values through unquantized, so that each sees the float model's activations, as
 * TFLite's calibration. Weights are untouched. Returns the number of layers calibrated.
 */
export function calibrate(model: LayersModel, x: Tensor|Tensor[], options: CalibrateOptions = {}): number {
  const fqs = fakeQuantLayers(model);
  const method = options.method ?? 'minmax';
  for (const fq of fqs) fq.startCalibration(method);
  let ok = false;
  try {
    dispose(model.predict(x, {batchSize: options.batchSize ?? 256}));
    ok = true;
  } finally {
    for (const fq of fqs) {
      if (ok) {
        fq.finishCalibration();
      } else {
        fq.discardCalibration();
      }
    }
  }
  return fqs.length;
}
