/**
 * `quantizeModel`: a quantization-aware copy of a tfjs-layers model, and `calibrate`, which sets
 * its activation ranges from data.
 */
import {dispose, type serialization, Tensor} from '@tensorflow/tfjs-core';
import {input, layers, LayersModel, model as functionalModel, Sequential, sequential, type SymbolicTensor} from '@tensorflow/tfjs-layers';

import {assertNumBits} from './common';
import {type CalibrationMethod, FakeQuant, type RangeMode} from './fake_quant';
import {deserializeLayer, FakeQuantWeights, KERNEL_LAYERS, supportsPerChannel} from './fake_quant_weights';
import {fixedOutputRange, fusedProducers, modelNodes, ownActivation} from './fusion';

type Layer = InstanceType<typeof layers.Layer>;
type LayerNode = Layer['inboundNodes'][number];

export interface QuantizeModelOptions {
  /** Bit width of the kernels (`KERNEL_LAYERS`: symmetric, narrow range). Default 8. */
  weightBits?: number;
  /** Bit width of the activations (asymmetric, full range, as TF). Default 8. */
  activationBits?: number;
  /**
   * Kernel ranges per output channel or per kernel:
   * - `true` (default): per channel for every kernel that allows it (Dense, Conv1D, Conv2D,
   *   DepthwiseConv2D; Conv2DTranspose is always per tensor);
   * - `'conv'`: TF Model Optimization's default 8-bit scheme (`Default8BitConvWeightsQuantizer`
   *   for Conv2D and DepthwiseConv2D, per tensor for Dense): per channel for convolutions, per
   *   tensor for Dense, whose per-channel fully connected layers some int8 runtimes reject;
   * - `false`: per tensor everywhere.
   * DepthwiseConv2D channels are its in * multiplier outputs (TFLite's per-channel axis). MOT's
   * own depthwise quantizer ranges over the multiplier axis only, one range for a multiplier of 1
   * (tensorflow/model-optimization#808); TFLite's converter then requantizes per channel.
   */
  perChannelWeights?: boolean|'conv';
  /** How activation ranges are set: `'ema'` (default) or `'learned'`. See `FakeQuant`. */
  mode?: 'ema'|'learned';
  /** Decay of the moving averages in `'ema'` mode, in (0, 1). Default 0.999. */
  emaDecay?: number;
  /** Fake-quantize the model's inputs too (as TFLite, whose inputs are quantized). Default true. */
  quantizeInputs?: boolean;
  /**
   * Initial activation range, until `calibrate` or training sets it. Default [-6, 6] (TF's).
   * Fine-tuning a trained model works best from calibrated ranges: call `calibrate` first.
   */
  initRange?: [number, number];
  /**
   * Per-layer bit widths, by the original layer's name (a layer of the model or of a nested
   * model): e.g. keep the last layer's outputs at 8 bits in a 4-bit model with
   * `{dense_out: {activationBits: 8}}`.
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

type ActivationName = NonNullable<Parameters<typeof layers.activation>[0]>['activation'];
type LayerOptions = NonNullable<QuantizeModelOptions['layerOptions']>;

interface Resolved {
  weightBits: number;
  activationBits: number;
  perChannelWeights: boolean|'conv';
  mode: RangeMode;
  emaDecay: number;
  quantizeInputs: boolean;
  initRange: [number, number];
  layerOptions: LayerOptions;
}

function resolveOptions(options: QuantizeModelOptions): Resolved {
  if (options == null || typeof options !== 'object') {
    throw new Error(`quantizeModel: options must be an object, got ${JSON.stringify(options)}.`);
  }
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
  if (typeof r.perChannelWeights !== 'boolean' && r.perChannelWeights !== 'conv') {
    throw new Error(
        `quantizeModel: perChannelWeights must be true, false or 'conv', got ${JSON.stringify(r.perChannelWeights)}.`);
  }
  if (r.mode !== 'ema' && r.mode !== 'learned') {
    throw new Error(`quantizeModel: mode must be 'ema' or 'learned', got ${JSON.stringify(r.mode)}.`);
  }
  if (typeof r.emaDecay !== 'number' || !(r.emaDecay > 0 && r.emaDecay < 1)) {
    throw new Error(`quantizeModel: emaDecay must be a number in (0, 1), got ${JSON.stringify(r.emaDecay)}.`);
  }
  if (typeof r.quantizeInputs !== 'boolean') {
    throw new Error(`quantizeModel: quantizeInputs must be a boolean, got ${JSON.stringify(r.quantizeInputs)}.`);
  }
  const [lo, hi] = Array.isArray(r.initRange) && r.initRange.length === 2 ? r.initRange : [NaN, NaN];
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
    throw new Error(`quantizeModel: initRange must be [min, max], finite, min < max, got ${JSON.stringify(r.initRange)}.`);
  }
  for (const [name, o] of Object.entries(r.layerOptions)) {
    const keys = o != null && typeof o === 'object' ? Object.keys(o) : null;
    const unknown = keys?.filter((k) => k !== 'weightBits' && k !== 'activationBits');
    if (unknown == null || unknown.length > 0) {
      throw new Error(
          `quantizeModel: layerOptions.${name} must be {weightBits?, activationBits?}, got ${JSON.stringify(o)}.`);
    }
    if (o.weightBits != null) assertNumBits(o.weightBits, 'quantizeModel', `layerOptions.${name}.weightBits`);
    if (o.activationBits != null) {
      assertNumBits(o.activationBits, 'quantizeModel', `layerOptions.${name}.activationBits`);
    }
  }
  return r;
}

/** The layers of a model and of its nested models, depth first. */
function allLayers(model: LayersModel): Layer[] {
  return model.layers.flatMap((l) => l instanceof LayersModel ? [l, ...allLayers(l)] : [l]);
}

/** Checks the model before anything is built, so that a refused model leaves no tensor behind. */
function checkModel(model: LayersModel, o: Resolved): void {
  const layersOf = allLayers(model);
  const quantized = layersOf.find((l) => l instanceof FakeQuant || l instanceof FakeQuantWeights);
  if (quantized != null) {
    throw new Error(
        `quantizeModel: the model is already quantized (layer ${quantized.name}); quantize the float model.`);
  }
  const names = new Set(layersOf.map((l) => l.name));
  const unknown = Object.keys(o.layerOptions).filter((name) => !names.has(name));
  if (unknown.length > 0) {
    throw new Error(
        `quantizeModel: layerOptions names no layer of the model: ${unknown.join(', ')} ` +
        '(use the names of the float model\'s layers).');
  }
}

/**
 * A SeparableConv2D that quantizeModel splits into a DepthwiseConv2D, a quantizer and a 1x1
 * Conv2D, as TF Model Optimization's `SeparableConvQuantize` (TFLite runs the two convolutions
 * as two int8 ops with an int8 tensor between them). Channels-last without dilation only: the
 * tfjs DepthwiseConv2D layer has no dilation.
 */
function splitsSeparable(layer: Layer): boolean {
  if (layer.getClassName() !== 'SeparableConv2D') return false;
  const config = layer.getConfig() as {dilationRate?: number|number[], dataFormat?: string};
  const dilation = [config.dilationRate ?? 1].flat();
  return dilation.every((d) => d === 1) && config.dataFormat !== 'channelsFirst';
}

/**
 * Layers with weights that stay float: neither a kernel layer (`KERNEL_LAYERS`, a split
 * SeparableConv2D), nor a BatchNormalization (folded into its kernel layer, or a float scale and
 * shift), nor a model. TF Model Optimization's default scheme leaves the same ones alone
 * (recurrent layers, Conv3D, Embedding: not in its registry).
 */
function keepsFloatWeights(layer: Layer): boolean {
  const className = layer.getClassName();
  return layer.weights.length > 0 && !KERNEL_LAYERS.has(className) && !splitsSeparable(layer) &&
      className !== 'BatchNormalization' && !(layer instanceof LayersModel);
}

/** Whether the kernels of this layer class are quantized per channel under `setting`. */
function perChannelFor(className: string, setting: boolean|'conv'): boolean {
  if (!supportsPerChannel(className)) return false;
  return setting === 'conv' ? className !== 'Dense' : setting;
}

/**
 * A kernel layer whose own activation TFLite runs as an op of its own (softmax, sigmoid, tanh,
 * ...: not linear, ReLU or ReLU6). quantizeModel splits it into the layer without activation, a
 * quantizer, and an Activation layer: the tensor between them is an int8 tensor in TFLite, as TF
 * Model Optimization quantizes it (its `QuantizeAwareActivation` quantizes before softmax,
 * sigmoid and tanh).
 */
function splitsActivation(layer: Layer): boolean {
  return (KERNEL_LAYERS.has(layer.getClassName()) || splitsSeparable(layer)) && ownActivation(layer) == null;
}

/** The two layers a split SeparableConv2D becomes (unwrapped), with its configuration. */
function separableParts(layer: Layer, depthwiseName: string): {depthwise: Layer, pointwise: Layer} {
  // tslint:disable-next-line:no-any
  const c = layerConfig(layer) as {[key: string]: any};
  const depthwise = deserializeLayer({className: 'DepthwiseConv2D', config: {
    name: depthwiseName, trainable: c.trainable, kernelSize: c.kernelSize, strides: c.strides, padding: c.padding,
    depthMultiplier: c.depthMultiplier, useBias: false, activation: 'linear',
    depthwiseInitializer: c.depthwiseInitializer, depthwiseRegularizer: c.depthwiseRegularizer,
    depthwiseConstraint: c.depthwiseConstraint,
  }});
  const pointwise = deserializeLayer({className: 'Conv2D', config: {
    name: c.name, trainable: c.trainable, filters: c.filters, kernelSize: [1, 1],
    activation: splitsActivation(layer) ? 'linear' : c.activation, useBias: c.useBias,
    kernelInitializer: c.pointwiseInitializer, kernelRegularizer: c.pointwiseRegularizer,
    kernelConstraint: c.pointwiseConstraint, biasInitializer: c.biasInitializer,
    biasRegularizer: c.biasRegularizer, biasConstraint: c.biasConstraint, activityRegularizer: c.activityRegularizer,
  }});
  depthwise.trainable = layer.trainable;
  pointwise.trainable = layer.trainable;
  return {depthwise, pointwise};
}

/** Builds the replacement of one layer of the float model, and its output quantizers. */
class Transformer {
  /**
   * Original layer -> its copy in the quantized model (a FakeQuantWeights for kernel layers, the
   * quantized model for a nested model).
   */
  readonly copies = new Map<Layer, Layer>();
  /** A split SeparableConv2D -> its DepthwiseConv2D part (its copy is the pointwise Conv2D). */
  private readonly depthwiseParts = new Map<Layer, FakeQuantWeights>();
  private readonly usedNames = new Set<string>();

  constructor(
      private readonly o: Resolved, private readonly fused: ReadonlySet<Layer>,
      /** Layers of this model and its nested ones that keep float weights (for one warning). */
      readonly floatLayers: Layer[]) {}

  copyOf(layer: Layer): Layer {
    let copy = this.copies.get(layer);
    if (copy == null) {
      if (layer instanceof LayersModel) {
        // Quantized on its own, with its weights; what feeds it is already quantized out here.
        copy = quantizeChecked(layer, {...this.o, quantizeInputs: false}, this.floatLayers);
        // A frozen base stays frozen (its layers keep their own flags, which freezing leaves on).
        copy.trainable = layer.trainable;
        this.copies.set(layer, copy);
        return copy;
      }
      if (keepsFloatWeights(layer)) this.floatLayers.push(layer);
      if (splitsSeparable(layer)) {
        const {depthwise, pointwise} = separableParts(layer, this.uniqueName(`${layer.name}_depthwise`));
        this.depthwiseParts.set(layer, this.kernelWrapper(layer, depthwise));
        copy = this.kernelWrapper(layer, pointwise);
      } else {
        const clone = cloneLayer(layer, splitsActivation(layer) ? {activation: 'linear'} : {});
        copy = KERNEL_LAYERS.has(layer.getClassName()) ? this.kernelWrapper(layer, clone) : clone;
      }
      this.copies.set(layer, copy);
    }
    return copy;
  }

  /**
   * The layers that replace `layer` in the quantized model, applied in order (the first one with
   * the node's call arguments): its copy, or for a split SeparableConv2D its depthwise part, a
   * quantizer and its pointwise part.
   */
  replacementOf(layer: Layer, suffix = ''): Layer[] {
    const copy = this.copyOf(layer);
    const depthwise = this.depthwiseParts.get(layer);
    if (depthwise == null) return [copy];
    return [depthwise, this.outputQuantizer(layer, depthwise.layer.name, false, suffix), copy];
  }

  /** A FakeQuantWeights around `kernelLayer`, one of the layers replacing `layer`. */
  private kernelWrapper(layer: Layer, kernelLayer: Layer): FakeQuantWeights {
    return new FakeQuantWeights({
      layer: kernelLayer,
      name: this.uniqueName(`quant_${kernelLayer.name}`),
      numBits: this.o.layerOptions[layer.name]?.weightBits ?? this.o.weightBits,
      perChannel: perChannelFor(kernelLayer.getClassName(), this.o.perChannelWeights),
      narrowRange: true,
    });
  }

  /**
   * Whether the outputs of `layer` get a FakeQuant (an InputLayer's: with quantizeInputs, when
   * float; a nested model's: no, its own layers quantize them; a layer fused with its consumer:
   * no).
   */
  quantizesOutput(layer: Layer): boolean {
    if (layer.getClassName() === 'InputLayer') {
      return this.o.quantizeInputs && layer.getConfig()['dtype'] === 'float32';
    }
    if (layer instanceof LayersModel || this.fused.has(layer)) return false;
    return !isValuePreserving(layer);
  }

  /**
   * The layers applied after the copy of `layer`, in order, to one of its outputs: its output
   * quantizer if it has one; for a split activation (`splitsActivation`), the quantizer, the
   * activation and the activation's quantizer.
   */
  following(layer: Layer, suffix = ''): Layer[] {
    if (splitsActivation(layer)) {
      const activation = (layer.getConfig() as {activation: string}).activation;
      const name = this.uniqueName(`${layer.name}_${activation}`);
      const act = layers.activation({activation: activation as ActivationName, name});
      return [this.outputQuantizer(layer, layer.name, false), act, this.outputQuantizer(layer, name, true)];
    }
    return this.quantizesOutput(layer) ? [this.outputQuantizer(layer, layer.name, true, suffix)] : [];
  }

  /**
   * A FakeQuant named `${base}_fq${suffix}` for an output of `layer`: with `last` (the layer's activation
   * applied), fixed at TFLite's parameters after softmax, sigmoid and tanh (`fixedOutputRange`);
   * else with the options' mode and initial range.
   */
  private outputQuantizer(layer: Layer, base: string, last: boolean, suffix = ''): FakeQuant {
    const numBits = this.o.layerOptions[layer.name]?.activationBits ?? this.o.activationBits;
    const fixed = last ? fixedOutputRange(layer, numBits) : null;
    const [initMin, initMax] = fixed ?? this.o.initRange;
    return new FakeQuant({
      name: this.uniqueName(`${base}_fq${suffix}`),
      numBits,
      narrowRange: false,
      perChannel: false,
      mode: fixed != null ? 'fixed' : this.o.mode,
      emaDecay: this.o.emaDecay,
      initMin,
      initMax,
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
      const depthwise = this.depthwiseParts.get(orig);
      if (depthwise != null) {
        // SeparableConv2D weights: depthwise kernel, pointwise kernel [1, 1, in * mult, filters], bias.
        depthwise.setWeights(weights.slice(0, 1));
        copy.setWeights(weights.slice(1));
      } else if (weights.length > 0) {
        copy.setWeights(weights);
      }
    }
  }
}

/**
 * A copy of the layer's config, completed where tfjs-layers' `getConfig` leaves a field out
 * (SeparableConv2D omits its depthMultiplier, so a clone from it would have a multiplier of 1).
 */
function layerConfig(layer: Layer): serialization.ConfigDict {
  const config = JSON.parse(JSON.stringify(layer.getConfig()));
  if (layer.getClassName() === 'SeparableConv2D') {
    config.depthMultiplier = (layer as unknown as {depthMultiplier: number}).depthMultiplier;
  }
  return config;
}

/**
 * A fresh, unbuilt layer with the same configuration but `overrides` (no input shape: it is
 * applied to one).
 */
function cloneLayer(layer: Layer, overrides: object): Layer {
  const cls = layer.constructor as unknown as {
    fromConfig(cls: unknown, config: object): Layer;
  };
  const config = {...layerConfig(layer), ...overrides};
  delete config.batchInputShape;
  delete config.inputShape;
  const clone = cls.fromConfig(cls, config);
  clone.trainable = layer.trainable;
  return clone;
}

/**
 * Returns a quantization-aware copy of `model` (Sequential or functional), initialised with its
 * weights: every kernel of a Dense, Conv1D, Conv2D, DepthwiseConv2D or Conv2DTranspose layer is
 * fake-quantized (`FakeQuantWeights`: symmetric, narrow range, TF's default for weights; per
 * channel or not after `perChannelWeights`) and the output of every layer that computes new
 * values, and the float model inputs, go through a `FakeQuant` layer (asymmetric,
 * `activationBits`, range mode `mode`). As TF Model Optimization's default 8-bit scheme:
 * - reshapes, max pooling and dropout keep their input's quantization and get none, and so do
 *   tensors inside blocks TFLite fuses (`fusesInto` in fusion.ts: kernel layer ->
 *   BatchNormalization -> ReLU / ReLU6, kernel layer or Add -> ReLU);
 * - the quantizer after a softmax, sigmoid or tanh has TFLite's fixed output range
 *   (`fixedOutputRange`, mode `'fixed'`); a kernel layer with such an activation of its own is
 *   split into the layer, a quantizer and an Activation layer, as TFLite runs them as two ops;
 * - a SeparableConv2D becomes a DepthwiseConv2D, a quantizer and a 1x1 Conv2D (`SeparableConvQuantize`);
 * - integer inputs (an int32 model input, ids fed to an Embedding) are not quantized;
 * - layers with weights that are not kernels (recurrent layers, Conv3D, Embedding, a dilated
 *   SeparableConv2D, ...) keep float weights: one console warning names them.
 * A nested model (a model used as a layer, e.g. a pretrained base) is replaced by its own
 * quantized copy, whose inputs are not quantized again. The float model is left unchanged.
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
  checkModel(model, o);
  const floatLayers: Layer[] = [];
  const quantized = quantizeChecked(model, o, floatLayers);
  if (floatLayers.length > 0) {
    console.warn(
        'quantizeModel: these layers keep float weights (not quantized, as in TF Model Optimization\'s ' +
        `default scheme): ${floatLayers.map((l) => `${l.name} (${l.getClassName()})`).join(', ')}.`);
  }
  return quantized;
}

function quantizeChecked(model: LayersModel, o: Resolved, floatLayers: Layer[]): LayersModel {
  const t = new Transformer(o, fusedProducers(model), floatLayers);
  // The copies keep their names; new layers (wrappers, quantizers) must not take one of them.
  for (const layer of model.layers) t.reserve(layer.name);
  const quantized = model instanceof Sequential ? quantizeSequential(model, t) : quantizeFunctional(model, t);
  t.copyWeights();
  return quantized;
}

/** Embedding reads integer ids: it is fed the unquantized model input. */
function readsIds(layer: Layer): boolean {
  return layer.getClassName() === 'Embedding';
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
  const body = model.layers.filter((l) => l.getClassName() !== 'InputLayer');  // an explicit one: added above
  if (body.length > 0 && !readsIds(body[0])) t.following(inputLayer).forEach((l) => out.add(l));
  for (const layer of body) {
    [...t.replacementOf(layer), ...t.following(layer)].forEach((l) => out.add(l));
  }
  return out;
}

function quantizeFunctional(model: LayersModel, t: Transformer): LayersModel {
  const map = new Map<SymbolicTensor, SymbolicTensor>();
  // Model inputs as they are, for the layers that read ids.
  const raw = new Map<SymbolicTensor, SymbolicTensor>();
  const inputs = model.inputs.map((x) => {
    const source = x.sourceLayer as Layer;
    t.reserve(source.name);
    const newInput = input({batchShape: x.shape, dtype: x.dtype, name: source.name});
    raw.set(x, newInput);
    const consumers = model.layers.filter((l) => modelNodes(model, l).some((n) => n.inputTensors.includes(x)));
    const quantizers = consumers.length > 0 && consumers.every(readsIds) ? [] : t.following(source);
    map.set(x, applyAll(quantizers, newInput));
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
      const ins = item.node.inputTensors.map((x) => (readsIds(item.layer) ? raw.get(x) : undefined) ?? map.get(x));
      if (ins.some((x) => x == null)) {
        waiting.push(item);
        continue;
      }
      const {layer, node, index} = item;
      const [first, ...rest] = t.replacementOf(layer, index > 0 ? `_${index}` : '');
      const args = ins as SymbolicTensor[];
      const result = first.apply(args.length === 1 ? args[0] : args, node.callArgs ?? {});
      const outs = (Array.isArray(result) ? [...result] : [applyAll(rest, result as SymbolicTensor)]) as SymbolicTensor[];
      outs.forEach((y, k) => {
        const suffix = (index > 0 ? `_${index}` : '') + (outs.length > 1 ? `_${k}` : '');
        map.set(node.outputTensors[k], applyAll(t.following(layer, suffix), y));
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

/** Applies single-input layers one after the other. */
function applyAll(chain: Layer[], x: SymbolicTensor): SymbolicTensor {
  return chain.reduce((y, layer) => layer.apply(y) as SymbolicTensor, x);
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
 * TFLite's calibration. Weights and `'fixed'` ranges are untouched. Returns the number of layers
 * whose range was set.
 */
export function calibrate(model: LayersModel, x: Tensor|Tensor[], options: CalibrateOptions = {}): number {
  const xs = Array.isArray(x) ? x : [x];
  if (xs.length === 0 || xs.some((t) => !(t instanceof Tensor) || t.rank === 0 || t.shape[0] === 0)) {
    throw new Error(
        'calibrate: x must be a tensor (or one per model input) with at least one sample, got ' +
        `${xs.length === 0 ? 'no tensor' : xs.map((t) => t instanceof Tensor ? `shape [${t.shape}]` : typeof t).join(', ')}.`);
  }
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`calibrate: batchSize must be a positive integer, got ${JSON.stringify(options.batchSize)}.`);
  }
  const fqs = fakeQuantLayers(model);
  const method = options.method ?? 'minmax';
  for (const fq of fqs) fq.startCalibration(method);
  let ok = false;
  try {
    dispose(model.predict(x, {batchSize}));
    ok = true;
  } finally {
    for (const fq of fqs) {
      if (!ok) fq.discardCalibration();
    }
  }
  return fqs.filter((fq) => fq.finishCalibration()).length;
}
