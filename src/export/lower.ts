/**
 * `lowerModel`: a quantized Layers model (from `quantizeModel`, calibrated or trained) as the
 * integer graph the exporters write (graph.ts).
 *
 * Each tensor of the QAT model that a FakeQuant layer reads gets that quantizer's parameters
 * (params.ts): the op computing it writes them as its output parameters, and the FakeQuant
 * itself becomes nothing (or a requantizing QUANTIZE where the tensor already has other
 * parameters: after Softmax, AveragePooling2D, a value-preserving layer). Layers that TFLite
 * fuses (src/layers/fusion.ts: kernel layer -> BatchNormalization -> ReLU, Add -> ReLU) become one
 * op, as the QAT model has no quantizer inside them either.
 */
import {dispose, tidy} from '@tensorflow/tfjs-core';
import {LayersModel} from '@tensorflow/tfjs-layers';

import {fusesInto, ownActivation, reluKind, unwrapLayer} from '../layers';
import {shown} from '../ops/op_utils';

import type {FusedActivation, IntGraph, Padding, QuantParams} from './graph';
import {GraphBuilder} from './graph_builder';
import {flattenModel, type FlatModel, type Layer, type LayerCall, type ValueId} from './model_graph';
import {type ActivationQuantizer, copyParams, fakeQuantParams, sameParams, SOFTMAX_OUTPUT_PARAMS} from './params';
import {batchNormFold, type KernelLayout, type KernelQuantizer, kernelAs2d, layerWeight, quantizeKernelLayer, WEIGHT_MAX} from './weights';

/** The type of the exported model's inputs or outputs. */
export type IOType = 'float32'|'int8';

export interface ExportOptions {
  /**
   * `'float32'` (default): the model takes float inputs and quantizes them itself (a QUANTIZE op);
   * `'int8'`: it takes int8 inputs, quantized by the caller with the input's scale and zero point
   * (TF's `inference_input_type = tf.int8`).
   */
  inputType?: IOType;
  /** `'float32'` (default): outputs dequantized in the model (DEQUANTIZE); `'int8'`: as they are. */
  outputType?: IOType;
  /**
   * The batch dimension of every input (TFLite models have static shapes). Default: the model's
   * own fixed batch size, else 1.
   */
  batchSize?: number;
}

interface Resolved {
  inputType: IOType;
  outputType: IOType;
  batchSize: number;
}

/** The layers `lowerModel` lowers (for the error on any other). */
export const SUPPORTED_LAYERS: readonly string[] = [
  'FakeQuant', 'FakeQuantWeights(Dense | Conv2D | DepthwiseConv2D)',
  'BatchNormalization (after a kernel layer: folded)', 'ReLU (maxValue none or 6)',
  'Activation (relu, relu6, linear, softmax)', 'Softmax', 'MaxPooling2D', 'AveragePooling2D (not padding)',
  'GlobalAveragePooling2D', 'Flatten', 'Reshape', 'Add (2 inputs)', 'Concatenate', 'ZeroPadding2D',
  'Dropout (and SpatialDropout1D, AlphaDropout, GaussianDropout, GaussianNoise)', 'nested models',
];

const KERNEL_CLASSES = new Set(['Dense', 'Conv2D', 'DepthwiseConv2D']);

/**
 * Lowers a quantized Layers model to the integer graph (int8 activations with per-tensor
 * parameters, int8 symmetric kernels, int32 biases). Throws, naming the layer, for a layer it
 * does not support and for a tensor that needs an int8 range and has none.
 */
export function lowerModel(model: LayersModel, options: ExportOptions = {}): IntGraph {
  if (!(model instanceof LayersModel)) {
    throw new Error('lowerModel: model must be a tf.LayersModel (the model quantizeModel returns).');
  }
  const flat = flattenModel(model);
  if (!flat.calls.some((c) => c.layer.getClassName() === 'FakeQuant')) {
    throw new Error(
        `lowerModel: model ${model.name} is not quantized (it has no FakeQuant layer): export the ` +
        'model quantizeModel returns, calibrated (calibrate) or trained.');
  }
  return new Lowering(flat, resolveOptions(options, flat), model.name).run();
}

const OPTION_KEYS: ReadonlyArray<keyof ExportOptions> = ['inputType', 'outputType', 'batchSize'];

function resolveOptions(options: ExportOptions, flat: FlatModel): Resolved {
  if (options == null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`lowerModel: options must be an object ({${OPTION_KEYS.join(', ')}}), got ${shown(options)}.`);
  }
  // A misspelt key would silently export the default (float32 I/O, say).
  const unknown = Object.keys(options).filter((k) => !(OPTION_KEYS as string[]).includes(k));
  if (unknown.length > 0) {
    throw new Error(`lowerModel: unknown option ${unknown.join(', ')}; the options are ${OPTION_KEYS.join(', ')}.`);
  }
  for (const key of ['inputType', 'outputType'] as const) {
    const v = options[key];
    if (v != null && v !== 'float32' && v !== 'int8') {
      throw new Error(`lowerModel: options.${key} must be 'float32' or 'int8', got ${JSON.stringify(v)}.`);
    }
  }
  const fixed = flat.inputs.map((x) => flat.values[x.value].shape[0]).find((b) => b != null);
  const batchSize = options.batchSize ?? fixed ?? 1;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`lowerModel: options.batchSize must be a positive integer, got ${shown(options.batchSize)}.`);
  }
  return {inputType: options.inputType ?? 'float32', outputType: options.outputType ?? 'float32', batchSize};
}

type Handler = (call: LayerCall) => void;

class Lowering {
  private readonly b: GraphBuilder;
  /** The int8 graph tensor holding each value of the model. */
  private readonly int8 = new Map<ValueId, number>();
  /** The graph input tensor of each model input (created when first read). */
  private readonly graphInputs = new Map<ValueId, number>();
  /** The graph's int8 output tensors so far (`distinctOutput`). */
  private readonly graphOutputs: number[] = [];
  /** Calls fused into an earlier op. */
  private readonly absorbed = new Set<LayerCall>();
  private readonly modelOutputs: ReadonlySet<ValueId>;
  private readonly handlers: Record<string, Handler> = {
    FakeQuant: (c) => this.fakeQuant(c),
    FakeQuantWeights: (c) => this.kernelLayer(c),
    Dense: (c) => this.unquantizedKernel(c),
    Conv2D: (c) => this.unquantizedKernel(c),
    DepthwiseConv2D: (c) => this.unquantizedKernel(c),
    BatchNormalization: (c) => this.standaloneBatchNorm(c),
    ReLU: (c) => this.activation(c),
    Activation: (c) => this.activation(c),
    Softmax: (c) => this.softmax(c),
    MaxPooling2D: (c) => this.pool(c, 'maxPool2d'),
    AveragePooling2D: (c) => this.pool(c, 'averagePool2d'),
    GlobalAveragePooling2D: (c) => this.globalAveragePool(c),
    Flatten: (c) => this.reshape(c),
    Reshape: (c) => this.reshape(c),
    ZeroPadding2D: (c) => this.zeroPadding(c),
    // Identities at inference.
    Dropout: (c) => this.alias(c),
    SpatialDropout1D: (c) => this.alias(c),
    AlphaDropout: (c) => this.alias(c),
    GaussianDropout: (c) => this.alias(c),
    GaussianNoise: (c) => this.alias(c),
    Add: (c) => this.add(c),
    Concatenate: (c) => this.concatenate(c),
  };

  constructor(private readonly flat: FlatModel, private readonly o: Resolved, name: string) {
    this.b = new GraphBuilder(name);
    this.modelOutputs = new Set(flat.outputs);
  }

  run(): IntGraph {
    for (const call of this.flat.calls) {
      if (this.absorbed.has(call)) continue;
      const handler = this.handlers[call.layer.getClassName()];
      if (handler == null) throw unsupported(call);
      handler(call);
    }
    const inputs = this.flat.inputs.map(({value, layerName}) => {
      const t = this.graphInputs.get(value);
      if (t == null) throw new Error(`lowerModel: the model input ${layerName} is not used.`);
      return t;
    });
    return this.b.build(inputs, this.flat.outputs.map((v) => this.graphOutput(v)));
  }

  // ---- values, shapes, parameters ----

  /** The static shape of a value, with the export's batch size. */
  private shape(v: ValueId): number[] {
    const {name, shape} = this.flat.values[v];
    return shape.map((d, i) => {
      if (i === 0) {
        if (d != null && d !== this.o.batchSize) {
          throw new Error(`lowerModel: ${name} has a fixed batch size ${d}, the export ${this.o.batchSize}.`);
        }
        return this.o.batchSize;
      }
      if (d == null) {
        throw new Error(
            `lowerModel: ${name} has shape ${JSON.stringify(shape)}; TFLite needs static shapes: ` +
            'give the model inputs fixed sizes (all but the batch dimension).');
      }
      return d;
    });
  }

  private isModelInput(v: ValueId): boolean {
    return this.flat.inputs.some((x) => x.value === v);
  }

  /** The int8 tensor of a value a layer reads; a value without one has no int8 range. */
  private int8Of(v: ValueId, call: LayerCall): number {
    const t = this.int8.get(v);
    if (t != null) return t;
    const name = this.flat.values[v].name;
    if (this.isModelInput(v)) {
      throw new Error(
          `lowerModel: the model input ${name} is read by ${describe(call)} without a FakeQuant, so ` +
          'it has no int8 range: quantize the inputs (quantizeModel with quantizeInputs: true, the default).');
    }
    throw new Error(`lowerModel: ${name}, read by ${describe(call)}, has no int8 range.`);
  }

  private params(t: number): QuantParams {
    return this.b.tensor(t).quant!;
  }

  /**
   * The parameters of the tensor `v` from the FakeQuant that reads it (the QAT model's range for
   * it). A tensor no FakeQuant reads has no int8 range.
   */
  private outputParams(v: ValueId, producer: LayerCall): QuantParams {
    const p = this.quantizerParams(v);
    if (p == null) {
      throw new Error(
          `lowerModel: the output ${this.flat.values[v].name} of ${describe(producer)} needs an ` +
          'int8 range and has none (no FakeQuant reads it): export the model quantizeModel ' +
          'returns, which quantizes every computed tensor, calibrated or trained.');
    }
    return p;
  }

  /** The parameters of the (first) FakeQuant that reads `v`, or null. */
  private quantizerParams(v: ValueId): QuantParams|null {
    const fq = (this.flat.consumers.get(v) ?? []).find((c) => c.layer.getClassName() === 'FakeQuant');
    return fq != null ? fakeQuantParams(fq.layer as unknown as ActivationQuantizer, fq.path) : null;
  }

  /** A new int8 tensor for value `v` (an op's output). */
  private int8Tensor(v: ValueId, quant: QuantParams): number {
    const t = this.b.addTensor(this.flat.values[v].name, this.shape(v), 'int8', quant);
    this.int8.set(v, t);
    return t;
  }

  /** `t` with the parameters `p`: itself, or a requantizing QUANTIZE. */
  private withParams(t: number, p: QuantParams, call: LayerCall): number {
    if (sameParams(this.params(t), p)) return t;
    const out = this.b.addTensor(`${call.path}/requantize`, this.b.tensor(t).shape, 'int8', copyParams(p));
    this.b.addOp({kind: 'quantize', layerName: call.path}, [t], [out]);
    return out;
  }

  /** The one call reading `v`, when no other call reads it and it is no model output. */
  private soleConsumer(v: ValueId): LayerCall|null {
    const users = this.flat.consumers.get(v) ?? [];
    return users.length === 1 && !this.modelOutputs.has(v) ? users[0] : null;
  }

  /** A ReLU / ReLU6 TFLite fuses into `producer` (which outputs `v`): taken into its op. */
  private fusedRelu(producer: Layer, v: ValueId): {activation: FusedActivation, output: ValueId}|null {
    const next = this.soleConsumer(v);
    if (next == null || !fusesInto(producer, next.layer)) return null;
    const kind = reluKind(next.layer);
    if (kind == null) return null;
    this.absorbed.add(next);
    return {activation: kind, output: next.outputs[0]};
  }

  // ---- graph inputs and outputs ----

  /** A model input quantized with `p` (first read: creates the graph input). */
  private quantizedInput(v: ValueId, p: QuantParams, call: LayerCall): number {
    const name = this.flat.values[v].name;
    let input = this.graphInputs.get(v);
    if (this.o.inputType === 'int8') {
      if (input == null) {
        input = this.b.addTensor(name, this.shape(v), 'int8', copyParams(p));
        this.graphInputs.set(v, input);
      }
      return this.withParams(input, p, call);
    }
    if (input == null) {
      input = this.b.addTensor(name, this.shape(v), 'float32');
      this.graphInputs.set(v, input);
    }
    const out = this.b.addTensor(`${call.path}/quantize`, this.shape(v), 'int8', copyParams(p));
    this.b.addOp({kind: 'quantize', layerName: call.path}, [input], [out]);
    return out;
  }

  private graphOutput(v: ValueId): number {
    const t = this.int8.get(v);
    if (t == null) {
      throw new Error(`lowerModel: the model output ${this.flat.values[v].name} has no int8 range.`);
    }
    if (this.o.outputType === 'int8') return this.distinctOutput(t);
    const out = this.b.addTensor(`${this.b.tensor(t).name}/dequantize`, this.b.tensor(t).shape, 'float32');
    this.b.addOp({kind: 'dequantize', layerName: this.flat.values[v].name}, [t], [out]);
    return out;
  }

  /**
   * `t` as a tensor of its own where it is already a graph input or output (an int8 input
   * returned as it is, through Dropout say, or one value output twice): TFLite's runtime binds
   * its own buffer to each input and output, and one tensor bound twice reads or returns
   * garbage. The copy is a RESHAPE to the same shape.
   */
  private distinctOutput(t: number): number {
    const taken = [...this.graphInputs.values(), ...this.graphOutputs].includes(t);
    const out = taken ? this.copy(t) : t;
    this.graphOutputs.push(out);
    return out;
  }

  private copy(t: number): number {
    const {name, shape} = this.b.tensor(t);
    const newShape = this.b.addInt32(`${name}/output_shape`, shape);
    const out = this.b.addTensor(`${name}/output`, shape, 'int8', copyParams(this.params(t)));
    this.b.addOp({kind: 'reshape', layerName: name}, [t, newShape], [out]);
    return out;
  }

  // ---- layers ----

  private fakeQuant(call: LayerCall): void {
    const [x] = call.inputs;
    const p = fakeQuantParams(call.layer as unknown as ActivationQuantizer, call.path);
    const t = this.int8.get(x);
    const q = t != null ? this.withParams(t, p, call) :
        this.isModelInput(x) ? this.quantizedInput(x, p, call) :
                               this.int8Of(x, call);
    this.int8.set(call.outputs[0], q);
  }

  private alias(call: LayerCall): void {
    this.int8.set(call.outputs[0], this.int8Of(call.inputs[0], call));
  }

  /** A FakeQuantWeights(Dense | Conv2D | DepthwiseConv2D), with its fused BatchNorm and ReLU. */
  private kernelLayer(call: LayerCall): void {
    const wrapper = call.layer;
    const inner = unwrapLayer(wrapper);
    const cls = inner.getClassName();
    if (!KERNEL_CLASSES.has(cls)) throw unsupported(call, `FakeQuantWeights(${cls})`);
    const own = ownActivation(wrapper);
    if (own == null) {
      const activation = (inner.getConfig() as {activation?: string}).activation;
      throw new Error(
          `lowerModel: ${describe(call)} has activation ${activation}; the int8 export fuses only ` +
          `relu, relu6 or linear: use a linear ${cls} followed by the activation's own layer ` +
          '(e.g. Softmax) before quantizeModel.');
    }
    const x = this.int8Of(call.inputs[0], call);
    if (cls === 'Dense' && this.b.tensor(x).shape.length !== 2) {
      throw new Error(
          `lowerModel: ${describe(call)} reads a tensor of shape ${JSON.stringify(this.b.tensor(x).shape)}; ` +
          'the int8 export takes Dense layers on [batch, features]: put a Flatten before it.');
    }
    const {bn, activation, output} = this.fusedBlock(call, own);
    const weights = this.kernelWeights(call, cls, this.params(x).scale[0], bn);
    const out = this.int8Tensor(output, this.outputParams(output, call));
    const inputs = [x, weights.kernel, weights.bias];
    const config = inner.getConfig() as ConvConfig;
    if (cls === 'Dense') {
      this.b.addOp({kind: 'fullyConnected', layerName: call.path, activation}, inputs, [out]);
    } else if (cls === 'Conv2D') {
      this.b.addOp({kind: 'conv2d', layerName: call.path, activation, ...convGeometry(config, call)}, inputs, [out]);
    } else {
      assertNoDepthwiseDilation(config, call);
      const depthMultiplier = (config as {depthMultiplier?: number}).depthMultiplier ?? 1;
      this.b.addOp(
          {kind: 'depthwiseConv2d', layerName: call.path, activation, depthMultiplier, ...convGeometry(config, call)},
          inputs, [out]);
    }
  }

  /**
   * What TFLite fuses into a kernel layer's op: a BatchNormalization reading only its output,
   * then a ReLU / ReLU6 (fusion.ts decides), or its own activation. `output` is the block's last
   * value.
   */
  private fusedBlock(call: LayerCall, own: 'linear'|FusedActivation):
      {bn: LayerCall|null, activation: FusedActivation, output: ValueId} {
    if (own !== 'linear') return {bn: null, activation: own, output: call.outputs[0]};
    let bn: LayerCall|null = null;
    let output = call.outputs[0];
    const next = this.soleConsumer(output);
    if (next != null && next.layer.getClassName() === 'BatchNormalization' && fusesInto(call.layer, next.layer)) {
      bn = next;
      this.absorbed.add(bn);
      output = bn.outputs[0];
    }
    const relu = this.fusedRelu(bn != null ? bn.layer : call.layer, output);
    return relu != null ? {bn, ...relu} : {bn, activation: 'none', output};
  }

  /** The int8 kernel and int32 bias tensors of a kernel layer (BatchNorm `bn` folded in). */
  private kernelWeights(call: LayerCall, cls: string, inputScale: number, bn: LayerCall|null):
      {kernel: number, bias: number} {
    const wrapper = call.layer as unknown as KernelQuantizer & {layer: Layer};
    const inner = wrapper.layer;
    const kernel = layerWeight(inner, cls === 'DepthwiseConv2D' ? 'depthwise_kernel' : 'kernel');
    if (kernel == null) throw new Error(`lowerModel: ${describe(call)} has no kernel (is it built?).`);
    const useBias = (inner.getConfig() as {useBias?: boolean}).useBias !== false;
    const bias = useBias ? layerWeight(inner, 'bias') : null;
    const shape = kernel.shape as number[];
    const channels = cls === 'DepthwiseConv2D' ? shape[2] * shape[3] : shape[shape.length - 1];
    const fold = bn != null ? batchNormFold(bn.layer, bn.path, channels, this.shape(bn.outputs[0]).length) : null;
    const kernelLayout: KernelLayout =
        {channelAxis: cls === 'DepthwiseConv2D' ? 'last' : 'first', perChannelFold: cls !== 'Dense'};
    const kernel2d = tidy(() => kernelAs2d(kernel, cls));
    let w;
    try {
      w = quantizeKernelLayer(kernel2d, bias, wrapper, inputScale, fold, kernelLayout, `lowerModel: ${describeKernel(call)}`);
    } finally {
      dispose(kernel2d);
    }
    const kernelShape = cls === 'Dense' ? [channels, shape[0]] :
        cls === 'Conv2D'                 ? [channels, shape[0], shape[1], shape[2]] :
                                           [1, shape[0], shape[1], channels];
    return {
      kernel: this.b.addTensor(`${call.path}/kernel`, kernelShape, 'int8', w.kernel.quant, w.kernel.data),
      bias: this.b.addTensor(`${call.path}/bias`, [channels], 'int32', w.bias.quant, w.bias.data),
    };
  }

  private unquantizedKernel(call: LayerCall): void {
    throw new Error(
        `lowerModel: the kernel of ${describe(call)} is not fake-quantized, so it has no int8 grid: ` +
        'export the model quantizeModel returns (its kernels are wrapped in FakeQuantWeights).');
  }

  private standaloneBatchNorm(call: LayerCall): void {
    throw new Error(
        `lowerModel: ${describe(call)} does not follow a Dense, Conv2D or DepthwiseConv2D layer of ` +
        'linear activation whose output only it reads; the int8 export supports BatchNormalization ' +
        'only folded into such a kernel layer.');
  }

  private activation(call: LayerCall): void {
    const config = call.layer.getConfig() as {activation?: string};
    if (call.layer.getClassName() === 'Activation') {
      if (config.activation === 'linear') return this.alias(call);
      if (config.activation === 'softmax') return this.softmax(call);
    }
    const kind = reluKind(call.layer);
    if (kind == null) {
      throw unsupported(call, call.layer.getClassName() === 'Activation' ? `Activation(${config.activation})` : undefined);
    }
    const x = this.int8Of(call.inputs[0], call);
    const out = this.int8Tensor(call.outputs[0], this.outputParams(call.outputs[0], call));
    this.b.addOp({kind, layerName: call.path}, [x], [out]);
  }

  private softmax(call: LayerCall): void {
    const axis = (call.layer.getConfig() as {axis?: number|number[]}).axis ?? -1;
    const rank = this.shape(call.inputs[0]).length;
    if (axis !== -1 && axis !== rank - 1) {
      throw new Error(`lowerModel: ${describe(call)} has axis ${JSON.stringify(axis)}; TFLite's SOFTMAX takes the last axis.`);
    }
    const x = this.int8Of(call.inputs[0], call);
    const out = this.int8Tensor(call.outputs[0], copyParams(SOFTMAX_OUTPUT_PARAMS));
    this.b.addOp({kind: 'softmax', layerName: call.path, beta: 1}, [x], [out]);
  }

  /**
   * MAX_POOL_2D (the output keeps the input's parameters: TFLite's rule), or an average pooling
   * that pads nothing as a depthwise convolution (`averageAsDepthwise`); one that pads is an error
   * (`paddedAveragePool`).
   */
  private pool(call: LayerCall, kind: 'maxPool2d'|'averagePool2d'): void {
    const config = call.layer.getConfig() as PoolConfig;
    assertChannelsLast(config, call);
    const filter = pair(config.poolSize ?? 2);
    const strides = config.strides != null ? pair(config.strides) : filter;
    const pad = padding(config.padding, call);
    const x = this.int8Of(call.inputs[0], call);
    if (kind === 'averagePool2d') {
      if (padsInput(this.b.tensor(x).shape, filter, strides, pad)) throw paddedAveragePool(call);
      const p = this.quantizerParams(call.outputs[0]) ?? copyParams(this.params(x));
      return this.averageAsDepthwise(call, x, filter, strides, p);
    }
    const out = this.int8Tensor(call.outputs[0], copyParams(this.params(x)));
    this.b.addOp({kind, layerName: call.path, filter, strides, padding: pad}, [x], [out]);
  }

  /**
   * An average pooling without padding as a DEPTHWISE_CONV_2D by the constant 1 / (kh * kw)
   * (int8 127 on the scale 1 / (127 kh kw)), onto the output parameters of the QAT model's
   * quantizer: one rounding, of the real value, as the QAT model rounds. AVERAGE_POOL_2D keeps
   * the input's parameters (a second rounding where the QAT output has its own) and rounds the
   * average of the int8 values half away from zero, which differs from TF's half-up rounding at
   * the ties a 2x2 window makes often. Where input and output scales are equal every average
   * sits on a multiple of 1 / (kh kw) steps, ties included, which TFLite's kernels round half away
   * from zero or (XNNPACK) to even: a bias of one unit, 1 / (127 kh kw) of a step, sends the ties
   * up, as TF, and moves no other value across a rounding boundary. Measured on Conv2D ->
   * AveragePooling2D(2, stride 1), 12,800 values: with equal parameters AVERAGE_POOL_2D differed
   * from the QAT model by a step on 10-20% of them, this convolution on 2% (ties that the QAT
   * model's own float32 sums break either way); with an output range of its own, on none.
   */
  private averageAsDepthwise(
      call: LayerCall, x: number, filter: [number, number], strides: [number, number], p: QuantParams): void {
    const channels = this.b.tensor(x).shape[3];
    const window = filter[0] * filter[1];
    const weightScale = Math.fround(1 / (WEIGHT_MAX * window));
    const kernel = this.b.addTensor(
        `${call.path}/kernel`, [1, filter[0], filter[1], channels], 'int8', {scale: [weightScale], zeroPoint: [0]},
        new Int8Array(window * channels).fill(WEIGHT_MAX));
    const inputScale = this.params(x).scale[0];
    const tieBreak = inputScale === p.scale[0] ? 1 : 0;
    const bias = this.b.addTensor(
        `${call.path}/bias`, [channels], 'int32', {scale: [Math.fround(inputScale * weightScale)], zeroPoint: [0]},
        new Int32Array(channels).fill(tieBreak));
    const out = this.int8Tensor(call.outputs[0], p);
    this.b.addOp({
      kind: 'depthwiseConv2d', layerName: call.path, strides, dilations: [1, 1], padding: 'valid', depthMultiplier: 1,
      activation: 'none',
    }, [x, kernel, bias], [out]);
  }

  private globalAveragePool(call: LayerCall): void {
    assertChannelsLast(call.layer.getConfig() as PoolConfig, call);
    const x = this.int8Of(call.inputs[0], call);
    const axes = this.b.addInt32(`${call.path}/axes`, [1, 2]);
    const out = this.int8Tensor(call.outputs[0], this.outputParams(call.outputs[0], call));
    this.b.addOp({kind: 'mean', layerName: call.path, keepDims: false}, [x, axes], [out]);
  }

  private reshape(call: LayerCall): void {
    const x = this.int8Of(call.inputs[0], call);
    const shape = this.shape(call.outputs[0]);
    const newShape = this.b.addInt32(`${call.path}/shape`, shape);
    const out = this.int8Tensor(call.outputs[0], copyParams(this.params(x)));
    this.b.addOp({kind: 'reshape', layerName: call.path}, [x, newShape], [out]);
  }

  /** PAD with the zero point: real 0, as ZeroPadding2D. */
  private zeroPadding(call: LayerCall): void {
    const config = call.layer.getConfig() as {padding: [[number, number], [number, number]], dataFormat?: string};
    assertChannelsLast(config, call);
    const [[top, bottom], [left, right]] = config.padding;
    const x = this.int8Of(call.inputs[0], call);
    const paddings = this.b.addInt32(`${call.path}/paddings`, [0, 0, top, bottom, left, right, 0, 0], [4, 2]);
    const out = this.int8Tensor(call.outputs[0], copyParams(this.params(x)));
    this.b.addOp({kind: 'pad', layerName: call.path}, [x, paddings], [out]);
  }

  /** ADD (inputs of any parameters), with a fused ReLU. */
  private add(call: LayerCall): void {
    if (call.inputs.length !== 2) {
      throw new Error(`lowerModel: ${describe(call)} adds ${call.inputs.length} tensors; the int8 export adds two (chain Add layers).`);
    }
    const inputs = call.inputs.map((v) => this.int8Of(v, call));
    const relu = this.fusedRelu(call.layer, call.outputs[0]);
    const output = relu != null ? relu.output : call.outputs[0];
    const out = this.int8Tensor(output, this.outputParams(output, call));
    this.b.addOp({kind: 'add', layerName: call.path, activation: relu != null ? relu.activation : 'none'}, inputs, [out]);
  }

  /** CONCATENATION: inputs requantized to the output's parameters where they differ. */
  private concatenate(call: LayerCall): void {
    const rank = this.shape(call.outputs[0]).length;
    const axis = (call.layer.getConfig() as {axis?: number}).axis ?? -1;
    const p = this.outputParams(call.outputs[0], call);
    const inputs = call.inputs.map((v) => this.withParams(this.int8Of(v, call), p, call));
    const out = this.int8Tensor(call.outputs[0], p);
    this.b.addOp(
        {kind: 'concatenation', layerName: call.path, axis: axis < 0 ? axis + rank : axis, activation: 'none'},
        inputs, [out]);
  }
}

interface ConvConfig {
  strides?: number|number[];
  padding?: string;
  dilationRate?: number|number[];
  dataFormat?: string;
}

interface PoolConfig {
  poolSize?: number|number[];
  strides?: number|number[]|null;
  padding?: string;
  dataFormat?: string;
}

function convGeometry(config: ConvConfig, call: LayerCall):
    {strides: [number, number], dilations: [number, number], padding: Padding} {
  assertChannelsLast(config, call);
  return {
    strides: pair(config.strides ?? 1),
    dilations: pair(config.dilationRate ?? 1),
    padding: padding(config.padding, call),
  };
}

/**
 * tfjs-layers 4.22's DepthwiseConv2D runs with dilation 1 whatever its dilationRate (its call
 * passes none to the op, while its output shape counts it): the file would compute something
 * else than the QAT model.
 */
function assertNoDepthwiseDilation(config: ConvConfig, call: LayerCall): void {
  if (pair(config.dilationRate ?? 1).some((d) => d !== 1)) {
    throw new Error(
        `lowerModel: ${describe(call)} has dilationRate ${JSON.stringify(config.dilationRate)}, which ` +
        'tfjs-layers ignores when it runs a DepthwiseConv2D (it computes dilation 1): the QAT model ' +
        'and the exported file would disagree. Use dilationRate 1 (or a dilated Conv2D).');
  }
}

/** Whether a 'same' pooling of an NHWC input pads it (TF's rule: pad (out - 1) * s + k - in). */
function padsInput(shape: number[], filter: [number, number], strides: [number, number], pad: Padding): boolean {
  if (pad === 'valid') return false;
  return [0, 1].some((a) => {
    const size = shape[a + 1];
    const out = Math.ceil(size / strides[a]);
    return (out - 1) * strides[a] + filter[a] - size > 0;
  });
}

function pair(v: number|number[]): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v.length > 1 ? v[1] : v[0]];
}

function padding(p: string|undefined, call: LayerCall): Padding {
  if (p == null || p === 'valid' || p === 'same') return p ?? 'valid';
  throw new Error(`lowerModel: ${describe(call)} has padding '${p}'; TFLite takes 'same' or 'valid'.`);
}

function assertChannelsLast(config: {dataFormat?: string}, call: LayerCall): void {
  if (config.dataFormat != null && config.dataFormat !== 'channelsLast') {
    throw new Error(`lowerModel: ${describe(call)} is ${config.dataFormat}; TFLite takes channelsLast (NHWC).`);
  }
}

/** "layer quant_conv1 (FakeQuantWeights around Conv2D conv1)". */
function describeKernel(call: LayerCall): string {
  const inner = unwrapLayer(call.layer);
  return `layer ${call.path} (${call.layer.getClassName()} around ${inner.getClassName()} ${inner.name})`;
}

/** "layer conv1 (Conv2D)": the layer's path and class. */
function describe(call: LayerCall): string {
  return `layer ${call.path} (${call.layer.getClassName()})`;
}

/**
 * A padding AveragePooling2D has no exact int8 form: TFLite's AVERAGE_POOL_2D keeps its input's
 * parameters and divides border windows by their own counts, so the QAT model's quantizer after
 * it becomes a second rounding (measured: 88-98% of a following Dense layer's outputs within one
 * step, up to 3 off).
 */
function paddedAveragePool(call: LayerCall): Error {
  return new Error(
      `lowerModel: layer ${call.path} (AveragePooling2D) pads its input (padding 'same'), which the ` +
      "int8 export cannot write exactly (TFLite averages border windows on the input's grid, a " +
      "second rounding): use padding 'valid', a pool size and stride that 'same' does not pad " +
      'for, or GlobalAveragePooling2D.');
}

function unsupported(call: LayerCall, what = call.layer.getClassName()): Error {
  return new Error(
      `lowerModel: layer ${call.path} (${what}) is not supported by the int8 export; supported: ` +
      `${SUPPORTED_LAYERS.join(', ')}.`);
}
