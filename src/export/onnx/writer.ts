/**
 * `writeONNX`: an IntGraph as an ONNX model in QDQ form, as ONNX Runtime's quantizer writes one.
 * Every int8 tensor of the graph is an int8 ONNX value made by QuantizeLinear (its scale and zero
 * point) and read through DequantizeLinear; weights are int8 (per axis where the graph's are),
 * biases int32, both behind DequantizeLinear; the ops between are float ONNX ops. A runtime that
 * fuses DQ -> op -> Q runs integer kernels (ONNX Runtime: QLinearConv, QGemm, QLinearAdd, ...);
 * any other runs the float ops on the same grid.
 *
 * 4-D tensors are NCHW inside the graph (ONNX's Conv and pools); the model's inputs and outputs
 * are NHWC by default, as in TF.js, with Transposes at the edges.
 */
import type {
  AddOp, ConcatenationOp, Conv2DOp, DepthwiseConv2DOp, FusedActivation, GraphOp, GraphTensor, IntGraph, MeanOp,
  Pool2DOp, QuantParams,
} from '../graph';

import {PRODUCER} from '../tflite/writer';

import {axisIn, type Layout, layoutFor, shapeIn, TO_NCHW, TO_NHWC, transposeData, windowPads} from './layout';
import {type Attribute, encodeModel, int, ints, type OnnxGraph, type OnnxNode, type OnnxTensor, type OnnxValueInfo} from './model';
import {DataType, type DataTypeCode} from './schema';

/** How the model's 4-D inputs and outputs are laid out. */
export type ONNXLayout = 'NHWC'|'NCHW';

export interface ONNXWriterOptions {
  /** 'NHWC' (default, as the TF.js model) or 'NCHW' (ONNX's convention: no edge Transposes). */
  layout?: ONNXLayout;
  /**
   * Whether the batch dimension (axis 0 of every input and output) is symbolic ('batch'): the
   * model then runs any number of samples at once. Default false: the graph's batch size.
   */
  dynamicBatch?: boolean;
}

/** The name of the symbolic batch dimension. */
export const BATCH_DIM = 'batch';

const PREFIX = 'writeONNX';

const DTYPE: Record<GraphTensor['dtype'], DataTypeCode> =
    {float32: DataType.FLOAT, int8: DataType.INT8, int32: DataType.INT32};

/** The values of one IntGraph tensor, by layout. */
type Variants = Map<Layout, string>;

class OnnxGraphWriter {
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: OnnxTensor[] = [];
  private readonly names: Set<string>;
  /** The int8 (for int8 tensors) or float (float tensors) value of each activation tensor. */
  private readonly stored = new Map<number, Variants>();
  /** The DequantizeLinear outputs of int8 tensors. */
  private readonly dequantized = new Map<number, Variants>();
  /** Scale and zero-point initializers of each int8 tensor, and shared constants. */
  private readonly constants = new Map<string, string>();
  private readonly io: Set<number>;
  private readonly ioLayout: Layout;

  constructor(private readonly graph: IntGraph, layout: ONNXLayout, private readonly dynamicBatch: boolean) {
    this.names = new Set(graph.tensors.map((t) => t.name));
    this.io = new Set([...graph.inputs, ...graph.outputs]);
    this.ioLayout = layout === 'NCHW' ? 'nchw' : 'graph';
  }

  write(): OnnxGraph {
    const inputs = this.graph.inputs.map((id) => {
      const t = this.tensor(id);
      this.variants(this.stored, id).set(this.ioLayoutOf(t), t.name);
      return this.valueInfo(t, t.name);
    });
    this.graph.ops.forEach((op, i) => this.op(op, i));
    const outputs = this.graph.outputs.map((id) => {
      const t = this.tensor(id);
      const name = this.storedIn(id, this.ioLayoutOf(t));
      if (name !== t.name) throw new Error(`${PREFIX}: the output ${t.name} cannot keep its name (is it also a model input?).`);
      return this.valueInfo(t, name);
    });
    return {name: this.graph.name, nodes: this.nodes, initializers: this.initializers, inputs, outputs};
  }

  // ---- values ----

  private tensor(id: number): GraphTensor {
    return this.graph.tensors[id];
  }

  private ioLayoutOf(t: GraphTensor): Layout {
    return layoutFor(t.shape.length, this.ioLayout);
  }

  private valueInfo(t: GraphTensor, name: string): OnnxValueInfo {
    const dims: Array<number|string> = shapeIn(this.ioLayoutOf(t), t.shape);
    if (this.dynamicBatch) dims[0] = BATCH_DIM;
    return {name, dataType: DTYPE[t.dtype], dims};
  }

  private unique(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  private variants(map: Map<number, Variants>, id: number): Variants {
    let v = map.get(id);
    if (v == null) map.set(id, v = new Map());
    return v;
  }

  /**
   * The name of a new value for tensor `t`. The tensor's own name goes to what a reader looks
   * for: a model input or output as it is in the model's signature; inside the graph, the float
   * value the ops read.
   */
  private newName(t: GraphTensor, kind: 'stored'|'dequantized', layout: Layout): string {
    const own = this.io.has(t.id) ? kind === 'stored' && layout === this.ioLayoutOf(t) : kind === 'dequantized';
    const claimed = [...this.stored.get(t.id)?.values() ?? [], ...this.dequantized.get(t.id)?.values() ?? []];
    if (own && !claimed.includes(t.name)) return t.name;
    const suffix = kind === 'stored' && t.dtype === 'int8' ? '/quantized' : kind === 'dequantized' ? '/dequantized' : '';
    const layoutSuffix = t.shape.length === 4 ? (layout === 'nchw' ? '/nchw' : '/nhwc') : '';
    return this.unique(`${t.name}${suffix}${layoutSuffix}`);
  }

  /** The layout the tensor's producer wrote it in (the first it exists in). */
  private homeLayout(id: number): Layout {
    const v = this.stored.get(id);
    if (v == null || v.size === 0) throw new Error(`${PREFIX}: ${this.tensor(id).name} is read before it is computed.`);
    return v.keys().next().value as Layout;
  }

  /** Tensor `id` as stored (int8 or float), in `layout`: Transposed from its home if needed. */
  private storedIn(id: number, wanted: Layout): string {
    const t = this.tensor(id);
    const layout = layoutFor(t.shape.length, wanted);
    const v = this.variants(this.stored, id);
    const have = v.get(layout);
    if (have != null) return have;
    const from = v.get(this.homeLayout(id))!;
    const name = this.newName(t, 'stored', layout);
    this.node('Transpose', `${t.name}/transpose`, [from], [name], {perm: ints(layout === 'nchw' ? TO_NCHW : TO_NHWC)});
    v.set(layout, name);
    return name;
  }

  /** Tensor `id` as float, in `layout`: int8 ones through a DequantizeLinear. */
  private floatIn(id: number, wanted: Layout): string {
    const t = this.tensor(id);
    if (t.dtype === 'float32') return this.storedIn(id, wanted);
    const layout = layoutFor(t.shape.length, wanted);
    const v = this.variants(this.dequantized, id);
    const have = v.get(layout);
    if (have != null) return have;
    const source = this.storedIn(id, layout);
    const name = this.newName(t, 'dequantized', layout);
    this.node('DequantizeLinear', `${t.name}/dequantize`, [source, ...this.quantParams(t)], [name]);
    v.set(layout, name);
    return name;
  }

  /** Quantizes the float value `x` (in `layout`) into the int8 tensor `out`. */
  private quantizeInto(out: GraphTensor, x: string, layout: Layout): void {
    const home = layoutFor(out.shape.length, layout);
    const name = this.newName(out, 'stored', home);
    this.node('QuantizeLinear', `${out.name}/quantize`, [x, ...this.quantParams(out)], [name]);
    this.variants(this.stored, out.id).set(home, name);
  }

  /** The scale and zero-point initializers of a per-tensor int8 tensor (made once). */
  private quantParams(t: GraphTensor): string[] {
    const q = t.quant;
    if (q == null || q.scale.length !== 1) {
      throw new Error(`${PREFIX}: the int8 tensor ${t.name} needs one scale and zero point (per tensor).`);
    }
    return [
      this.constant(`${t.name}/scale`, DataType.FLOAT, [], q.scale),
      this.constant(`${t.name}/zero_point`, DataType.INT8, [], q.zeroPoint),
    ];
  }

  /** An initializer; identical requests (same name) share one. */
  private constant(base: string, dataType: DataTypeCode, dims: number[], values: ArrayLike<number>): string {
    const key = `${base}:${dataType}`;
    const have = this.constants.get(key);
    if (have != null) return have;
    const name = this.unique(base);
    this.initializers.push({name, dataType, dims, values});
    this.constants.set(key, name);
    return name;
  }

  private node(opType: string, base: string, inputs: string[], outputs: string[], attributes: Record<string, Attribute> = {}): void {
    this.nodes.push({opType, name: this.unique(`${base}:${opType}`), inputs, outputs, attributes});
  }

  // ---- ops ----

  private op(op: GraphOp, index: number): void {
    const out = this.tensor(op.outputs[0]);
    switch (op.kind) {
      case 'quantize': return this.quantizeOp(op.inputs[0], out);
      case 'dequantize': return this.dequantizeOp(op.inputs[0], out);
      case 'fullyConnected': return this.fullyConnected(op.inputs, out, op.activation, op.layerName);
      case 'conv2d':
      case 'depthwiseConv2d': return this.conv(op, out);
      case 'maxPool2d':
      case 'averagePool2d': return this.pool(op, out);
      case 'mean': return this.mean(op, out);
      case 'reshape': return this.reshape(op.inputs[0], out);
      case 'pad': return this.pad(op.inputs, out);
      case 'add': return this.add(op, out);
      case 'concatenation': return this.concatenation(op, out);
      case 'softmax': return this.softmax(op.inputs[0], out, op.beta, op.layerName);
      case 'relu':
      case 'relu6': return this.activation(op.inputs[0], out, op.kind);
    }
    throw new Error(`${PREFIX}: op ${index} of layer ${(op as GraphOp).layerName} has the unknown kind ${(op as GraphOp).kind}.`);
  }

  /** The float result `y` of an op (in `layout`) becomes the int8 tensor `out`. */
  private emit(out: GraphTensor, y: string, layout: Layout): void {
    if (out.dtype !== 'int8') throw new Error(`${PREFIX}: the op computing ${out.name} must output int8.`);
    this.quantizeInto(out, y, layout);
  }

  /** Float input -> int8 (NCHW at once for images: the edge Transpose), or a requantize. */
  private quantizeOp(input: number, out: GraphTensor): void {
    const layout = this.tensor(input).dtype === 'float32' ? 'nchw' : this.homeLayout(input);
    this.emit(out, this.floatIn(input, layout), layout);
  }

  private dequantizeOp(input: number, out: GraphTensor): void {
    const layout = this.homeLayout(input);
    const home = layoutFor(out.shape.length, layout);
    const name = this.newName(out, 'stored', home);
    this.node('DequantizeLinear', `${out.name}/dequantize`, [this.storedIn(input, layout), ...this.quantParams(this.tensor(input))], [name]);
    this.variants(this.stored, out.id).set(home, name);
  }

  /** A ReLU / ReLU6 that is no op's fused activation. */
  private activation(input: number, out: GraphTensor, kind: 'relu'|'relu6'): void {
    const layout = this.homeLayout(input);
    this.emit(out, this.activate(this.floatIn(input, layout), kind, out), layout);
  }

  /** Relu / Clip(0, 6) after `x` (a fused activation), or `x` itself. */
  private activate(x: string, activation: FusedActivation, out: GraphTensor): string {
    if (activation === 'none') return x;
    const y = this.unique(`${out.name}/${activation}`);
    if (activation === 'relu') {
      this.node('Relu', out.name, [x], [y]);
    } else {
      const lo = this.constant('relu6/min', DataType.FLOAT, [], [0]);
      const hi = this.constant('relu6/max', DataType.FLOAT, [], [6]);
      this.node('Clip', out.name, [x, lo, hi], [y]);
    }
    return y;
  }

  /**
   * An int8 kernel (already in ONNX's layout, `dims`) and its int32 bias, each behind a
   * DequantizeLinear (per axis 0 where the graph's parameters are per channel).
   */
  private weights(kernel: GraphTensor, kernelData: Int8Array, dims: number[], bias: GraphTensor): [string, string] {
    return [this.constWeight(kernel, kernelData, dims, DataType.INT8), this.constWeight(bias, bias.data as Int32Array, bias.shape, DataType.INT32)];
  }

  private constWeight(t: GraphTensor, data: Int8Array|Int32Array, dims: number[], dataType: DataTypeCode): string {
    const q = t.quant as QuantParams;
    const perAxis = q.axis != null;
    const qDims = perAxis ? [q.scale.length] : [];
    const values = this.constant(t.name, dataType, dims, data);
    const scale = this.constant(`${t.name}/scale`, DataType.FLOAT, qDims, q.scale);
    const zero = this.constant(`${t.name}/zero_point`, dataType, qDims, q.zeroPoint);
    const name = this.unique(`${t.name}/dequantized`);
    this.node('DequantizeLinear', t.name, [values, scale, zero], [name], perAxis ? {axis: int(0)} : {});
    return name;
  }

  /** FULLY_CONNECTED as Gemm(x, W^T, b): the kernel stays [out, in] (transB). */
  private fullyConnected(inputs: number[], out: GraphTensor, activation: FusedActivation, layerName: string): void {
    const [x, kernel, bias] = inputs.map((id) => this.tensor(id));
    if (kernel.quant?.axis != null && kernel.quant.axis !== 0) {
      throw new Error(`${PREFIX}: the Dense kernel of ${layerName} must be per channel on axis 0 (output).`);
    }
    const [w, b] = this.weights(kernel, kernel.data as Int8Array, kernel.shape, bias);
    const y = this.unique(`${out.name}/gemm`);
    this.node('Gemm', layerName, [this.floatIn(x.id, 'graph'), w, b], [y], {transB: int(1)});
    this.emit(out, this.activate(y, activation, out), 'graph');
  }

  /** CONV_2D ([out, kh, kw, in] -> OIHW) and DEPTHWISE_CONV_2D ([1, kh, kw, C] -> [C, 1, kh, kw], group = in). */
  private conv(op: Conv2DOp|DepthwiseConv2DOp, out: GraphTensor): void {
    const [x, kernel, bias] = op.inputs.map((id) => this.tensor(id));
    const [, kh, kw] = kernel.shape;
    const depthwise = op.kind === 'depthwiseConv2d';
    const data = kernel.data as Int8Array;
    const onnxKernel = depthwise ? transposeData(data, kernel.shape, [3, 0, 1, 2]) : transposeData(data, kernel.shape, [0, 3, 1, 2]);
    const dims = depthwise ? [kernel.shape[3], 1, kh, kw] : [kernel.shape[0], kernel.shape[3], kh, kw];
    const [w, b] = this.weights(kernel, onnxKernel, dims, bias);
    const y = this.unique(`${out.name}/conv`);
    this.node('Conv', op.layerName, [this.floatIn(x.id, 'nchw'), w, b], [y], {
      kernel_shape: ints([kh, kw]),
      strides: ints(op.strides),
      dilations: ints(op.dilations),
      pads: ints(windowPads(op.padding, [x.shape[1], x.shape[2]], [kh, kw], op.strides, op.dilations)),
      group: int(depthwise ? x.shape[3] : 1),
    });
    this.emit(out, this.activate(y, op.activation, out), 'nchw');
  }

  /** MaxPool / AveragePool (padding cells not counted, as TF). */
  private pool(op: Pool2DOp, out: GraphTensor): void {
    const x = this.tensor(op.inputs[0]);
    const y = this.unique(`${out.name}/pool`);
    const attributes: Record<string, Attribute> = {
      kernel_shape: ints(op.filter),
      strides: ints(op.strides),
      pads: ints(windowPads(op.padding, [x.shape[1], x.shape[2]], op.filter, op.strides, [1, 1])),
    };
    if (op.kind === 'averagePool2d') attributes.count_include_pad = int(0);
    this.node(op.kind === 'maxPool2d' ? 'MaxPool' : 'AveragePool', op.layerName, [this.floatIn(x.id, 'nchw')], [y], attributes);
    this.emit(out, y, 'nchw');
  }

  /** ReduceMean in the input's layout, when the kept axes keep their order there. */
  private mean(op: MeanOp, out: GraphTensor): void {
    const x = this.tensor(op.inputs[0]);
    const rank = x.shape.length;
    const axes = Array.from(this.tensor(op.inputs[1]).data as Int32Array, (a) => (a < 0 ? a + rank : a));
    const kept = [...Array(rank).keys()].filter((a) => !axes.includes(a));
    const ordered = (l: Layout) => kept.every((a, i) => i === 0 || axisIn(l, rank, kept[i - 1]) < axisIn(l, rank, a));
    const home = this.homeLayout(x.id);
    const layout = op.keepDims || ordered(home) ? home : 'graph';
    const y = this.unique(`${out.name}/mean`);
    this.node('ReduceMean', op.layerName, [this.floatIn(x.id, layout)], [y], {
      axes: ints(axes.map((a) => axisIn(layout, rank, a))),
      keepdims: int(op.keepDims ? 1 : 0),
    });
    this.emit(out, y, layout);
  }

  /**
   * Reshape in the graph's (NHWC) order: Flatten reads channels last. The batch dimension is
   * copied from the input (0), so that a dynamic batch passes.
   */
  private reshape(input: number, out: GraphTensor): void {
    const sizes = [this.dynamicBatch ? 0 : out.shape[0], ...out.shape.slice(1)];
    const shape = this.constant(`${out.name}/shape`, DataType.INT64, [sizes.length], sizes);
    const y = this.unique(`${out.name}/reshape`);
    this.node('Reshape', out.name, [this.floatIn(input, 'graph'), shape], [y]);
    this.emit(out, y, 'graph');
  }

  /** Pad with real 0 (the zero point once quantized), as ZeroPadding2D. */
  private pad([input, paddings]: number[], out: GraphTensor): void {
    const layout = this.homeLayout(input);
    const rank = out.shape.length;
    const p = this.tensor(paddings).data as Int32Array;
    const byAxis = [...Array(rank).keys()].map((i) => (layoutFor(rank, layout) === 'nchw' ? TO_NCHW[i] : i));
    const pads = [...byAxis.map((a) => p[2 * a]), ...byAxis.map((a) => p[2 * a + 1])];
    const y = this.unique(`${out.name}/pad`);
    this.node('Pad', out.name, [this.floatIn(input, layout), this.constant(`${out.name}/pads`, DataType.INT64, [pads.length], pads)], [y]);
    this.emit(out, y, layout);
  }

  private add(op: AddOp, out: GraphTensor): void {
    const layout = this.homeLayout(op.inputs[0]);
    const y = this.unique(`${out.name}/add`);
    this.node('Add', op.layerName, op.inputs.map((id) => this.floatIn(id, layout)), [y]);
    this.emit(out, this.activate(y, op.activation, out), layout);
  }

  private concatenation(op: ConcatenationOp, out: GraphTensor): void {
    const layout = this.homeLayout(op.inputs[0]);
    const y = this.unique(`${out.name}/concat`);
    this.node('Concat', op.layerName, op.inputs.map((id) => this.floatIn(id, layout)), [y],
        {axis: int(axisIn(layout, out.shape.length, op.axis))});
    this.emit(out, this.activate(y, op.activation, out), layout);
  }

  private softmax(input: number, out: GraphTensor, beta: number, layerName: string): void {
    if (beta !== 1) throw new Error(`${PREFIX}: the softmax of ${layerName} has beta ${beta}; ONNX's Softmax has beta 1.`);
    const layout = this.homeLayout(input);
    const rank = out.shape.length;
    const y = this.unique(`${out.name}/softmax`);
    this.node('Softmax', layerName, [this.floatIn(input, layout)], [y], {axis: int(axisIn(layout, rank, rank - 1))});
    this.emit(out, y, layout);
  }
}

/**
 * Writes `graph` as an ONNX model (opset 13, IR version 7) in QDQ form. Inputs and outputs keep
 * the graph's names, dtypes (float32, or int8 with `inputType` / `outputType` 'int8') and, by
 * default, its NHWC layout.
 */
export function writeONNX(graph: IntGraph, options: ONNXWriterOptions = {}): Uint8Array {
  const layout = options.layout ?? 'NHWC';
  if (layout !== 'NHWC' && layout !== 'NCHW') {
    throw new Error(`exportONNX: options.layout must be 'NHWC' or 'NCHW', got ${JSON.stringify(layout)}.`);
  }
  const [name, version] = PRODUCER.split(' ');
  return encodeModel(new OnnxGraphWriter(graph, layout, options.dynamicBatch ?? false).write(), {name, version});
}
