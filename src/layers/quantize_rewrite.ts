/**
 * The rewriting behind `quantizeModel`: a copy of the float model's graph (Sequential or
 * functional, nested models quantized in turn) in which each layer is replaced by its quantized
 * form (kernel layers wrapped in FakeQuantWeights, SeparableConv2D and kernel layers with their
 * own non-ReLU activation split) and followed by its output quantizers, then the float weights
 * copied in.
 */
import type {serialization} from '@tensorflow/tfjs-core';
import {input, layers, LayersModel, model as functionalModel, Sequential, sequential, type SymbolicTensor} from '@tensorflow/tfjs-layers';

import {FakeQuant} from './fake_quant';
import {deserializeLayer, FakeQuantWeights, supportsPerChannel} from './fake_quant_weights';
import {fixedOutputRange, fusedProducers, ownActivation} from './fusion';
import type {ResolvedOptions} from './quantize_options';
import {KERNEL_LAYERS, modelNodes} from './tfjs_layers_internals';

type Layer = InstanceType<typeof layers.Layer>;
type LayerNode = Layer['inboundNodes'][number];
type SeparableConv2D = ReturnType<typeof layers.separableConv2d>;
type ActivationName = NonNullable<Parameters<typeof layers.activation>[0]>['activation'];

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
      private readonly o: ResolvedOptions, private readonly fused: ReadonlySet<Layer>,
      /** Layers of this model and its nested ones that keep float weights (for one warning). */
      readonly floatLayers: Layer[]) {}

  copyOf(layer: Layer): Layer {
    let copy = this.copies.get(layer);
    if (copy == null) {
      if (layer instanceof LayersModel) {
        // Quantized on its own, with its weights; what feeds it is already quantized out here.
        copy = rewriteModel(layer, {...this.o, quantizeInputs: false}, this.floatLayers);
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

  /**
   * A linear Activation, which passes its input on: a model output that is another output's tensor
   * (tfjs's executor fills only the first of two equal outputs).
   */
  passThrough(base: string): Layer {
    return layers.activation({activation: 'linear', name: this.uniqueName(base)});
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
    config.depthMultiplier = (layer as SeparableConv2D).depthMultiplier;
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
 * The quantized copy of a checked model (`checkModel`), its weights copied in; the layers that keep
 * float weights are appended to `floatLayers`.
 */
export function rewriteModel(model: LayersModel, o: ResolvedOptions, floatLayers: Layer[]): LayersModel {
  const t = new Transformer(o, fusedProducers(model), floatLayers);
  // The copies keep their names; new layers (wrappers, quantizers) must not take one of them.
  for (const layer of model.layers) t.reserve(layer.name);
  const quantized = model instanceof Sequential ? quantizeSequential(model, t) : quantizeFunctional(model, t);
  t.copyWeights();
  return quantized;
}

/** The RNN layers with tfjs-layers' own cell (their config has none: only RNN's has). */
const BUILT_IN_RNNS = new Set(['SimpleRNN', 'GRU', 'LSTM', 'ConvLSTM2D']);
/** tfjs-layers' cells: the output of a step is the first of its new states (h), one tensor. */
const STATE_OUTPUT_CELLS = new Set(['SimpleRNNCell', 'GRUCell', 'LSTMCell']);

interface CellConfig {
  className: string;
  config: {cells?: CellConfig[]};
}

/** Whether a cell's output is its first state: StackedRNNCells lists the last cell's states first. */
function outputIsFirstState(cell: CellConfig): boolean {
  const cells = cell.config.cells!;
  return cell.className === 'StackedRNNCells' ? outputIsFirstState(cells[cells.length - 1]) : STATE_OUTPUT_CELLS.has(cell.className);
}

/**
 * Whether an RNN (class name and config) outputs its last step's output, which its first state
 * (h, when it returns its states) is: the same tensor (a mask makes it a copy of the same values).
 * A custom cell's output may be another value.
 */
function outputIsState(className: string, config: serialization.ConfigDict): boolean {
  if (config.returnSequences === true) return false;
  return BUILT_IN_RNNS.has(className) || (className === 'RNN' && outputIsFirstState(config.cell as unknown as CellConfig));
}

/**
 * For each of the `count` outputs of `layer`, the index of the first output with the same value:
 * an RNN returns its output then its states, the first being h (`outputIsState`); a Bidirectional
 * without a merge mode, its forward and backward outputs, then each direction's states. Such
 * outputs share one quantizer: one value on one grid, and read once, as tfjs's executor frees a
 * tensor after the last reader of one of the outputs that hold it.
 */
function sameValueOutputs(layer: Layer, count: number): number[] {
  const indices = Array.from({length: count}, (_, k) => k);
  if (count < 2) return indices;  // one output: no config to read (it serializes nested models)
  const config = layer.getConfig();
  const className = layer.getClassName();
  if (className === 'Bidirectional' && config.mergeMode == null) {
    const wrapped = config.layer as unknown as {className: string, config: serialization.ConfigDict};
    if (!outputIsState(wrapped.className, wrapped.config)) return indices;
    const backwardH = 2 + (count - 2) / 2;
    return indices.map((k) => k === 2 ? 0 : k === backwardH ? 1 : k);
  }
  return outputIsState(className, config) ? indices.map((k) => k === 1 ? 0 : k) : indices;
}

/** Embedding reads integer ids: it is fed the unquantized model input. */
function readsIds(layer: Layer): boolean {
  return layer.getClassName() === 'Embedding';
}

function quantizeSequential(model: Sequential, t: Transformer): Sequential {
  if (model.inputs.length !== 1) {
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
    // Not the input layer itself, whose node also lists x as its input.
    const consumers = model.layers.filter((l) => l !== source && modelNodes(model, l).some((n) => n.inputTensors.includes(x)));
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
      const result = first.apply(args.length === 1 ? args[0] : args, callArgsOf(node));
      const outs = (Array.isArray(result) ? [...result] : [applyAll(rest, result as SymbolicTensor)]) as SymbolicTensor[];
      const sameAs = sameValueOutputs(layer, outs.length);
      const copies: SymbolicTensor[] = [];
      outs.forEach((y, k) => {
        const suffix = (index > 0 ? `_${index}` : '') + (outs.length > 1 ? `_${k}` : '');
        copies.push(sameAs[k] < k ? copies[sameAs[k]] : applyAll(t.following(layer, suffix), y));
        map.set(node.outputTensors[k], copies[k]);
      });
    }
    if (waiting.length === pending.length) {
      throw new Error(
          'quantizeModel: could not order the layers of the model (unreachable inputs of ' +
          `${waiting.map((w) => w.layer.name).join(', ')}).`);
    }
    pending = waiting;
  }
  const taken = new Set<SymbolicTensor>();
  const outputs = model.outputs.map((y) => {
    const q = map.get(y);
    if (q == null) throw new Error(`quantizeModel: model output ${y.name} was not reached.`);
    if (!taken.has(q)) {
      taken.add(q);
      return q;
    }
    // An RNN's output and its state h (sameValueOutputs): each model output its own tensor.
    return t.passThrough(`${y.sourceLayer.name}_output_${y.tensorIndex}`).apply(q) as SymbolicTensor;
  });
  return functionalModel({inputs, outputs, name: `${model.name}_quantized`});
}

/**
 * The keyword arguments a node was applied with, less an RNN's initialState and constants: they
 * are among the node's input tensors (the float graph's), and the copy gets their copies as inputs.
 */
function callArgsOf(node: LayerNode): {[key: string]: unknown} {
  const {initialState, constants, ...kwargs} = (node.callArgs ?? {}) as {[key: string]: unknown};
  return kwargs;
}

/** Applies single-input layers one after the other. */
function applyAll(chain: Layer[], x: SymbolicTensor): SymbolicTensor {
  return chain.reduce((y, layer) => layer.apply(y) as SymbolicTensor, x);
}
