/**
 * The integer graph every exporter writes: what `lowerModel` makes of a quantized Layers model
 * (ops in execution order; tensors with shape, type, scale and zero point; int8 weights and
 * int32 biases as constant data). It is format-neutral in its values and TFLite-shaped in its
 * layouts (the first format written): activations NHWC, kernels with the output channel first
 * (FULLY_CONNECTED [out, in], CONV_2D [out, kh, kw, in]) except the depthwise kernel
 * [1, kh, kw, in * multiplier] (output channel c = in_channel * multiplier + m, last axis).
 * Other writers transpose from these. Window pairs (filter, strides, dilations) are
 * [height, width], as in Keras.
 */

export type GraphDType = 'float32'|'int8'|'int32';

/**
 * Affine quantization: real = (q - zeroPoint[c]) * scale[c]. Per tensor: one entry each, `axis`
 * undefined. Per channel: one entry per index of `axis` (zero points 0).
 */
export interface QuantParams {
  scale: number[];
  zeroPoint: number[];
  axis?: number;
}

export interface GraphTensor {
  /** Index in `IntGraph.tensors`. */
  id: number;
  /** Unique, readable (from the Layers tensor or layer it stands for). */
  name: string;
  /** Static shape; the batch dimension is the export's batch size. */
  shape: number[];
  dtype: GraphDType;
  /** Set on every int8 and int32-bias tensor; never on float32 ones. */
  quant?: QuantParams;
  /** Constant data (weights, biases, paddings, shapes), in row-major order of `shape`. */
  data?: Int8Array|Int32Array|Float32Array;
}

/** TFLite's fused activations (the output is clamped in the output's quantized domain). */
export type FusedActivation = 'none'|'relu'|'relu6';

export type Padding = 'same'|'valid';

interface OpBase {
  /** The layer this op comes from (for errors and names). */
  layerName: string;
  /** Tensor ids. */
  inputs: number[];
  outputs: number[];
}

/** float32 -> int8, or int8 -> int8 with other parameters (requantize). */
export interface QuantizeOp extends OpBase { kind: 'quantize'; }
/** int8 -> float32. */
export interface DequantizeOp extends OpBase { kind: 'dequantize'; }
/** inputs: [x [batch, in], weights [out, in] int8, bias [out] int32]. */
export interface FullyConnectedOp extends OpBase {
  kind: 'fullyConnected';
  activation: FusedActivation;
}
/** inputs: [x NHWC, weights [out, kh, kw, in] int8, bias [out] int32]. */
export interface Conv2DOp extends OpBase {
  kind: 'conv2d';
  strides: [number, number];
  dilations: [number, number];
  padding: Padding;
  activation: FusedActivation;
}
/** inputs: [x NHWC, weights [1, kh, kw, in * multiplier] int8, bias [in * multiplier] int32]. */
export interface DepthwiseConv2DOp extends OpBase {
  kind: 'depthwiseConv2d';
  strides: [number, number];
  dilations: [number, number];
  padding: Padding;
  depthMultiplier: number;
  activation: FusedActivation;
}
/** inputs: [x NHWC]. Output parameters equal the input's. */
export interface Pool2DOp extends OpBase {
  kind: 'maxPool2d'|'averagePool2d';
  filter: [number, number];
  strides: [number, number];
  padding: Padding;
}
/** inputs: [x, axes int32 constant]. GlobalAveragePooling2D: axes [1, 2], keepDims false. */
export interface MeanOp extends OpBase {
  kind: 'mean';
  keepDims: boolean;
}
/** inputs: [x, newShape int32 constant]. Output parameters equal the input's. */
export interface ReshapeOp extends OpBase { kind: 'reshape'; }
/** inputs: [x, paddings int32 constant [rank, 2]]. Output parameters equal the input's. */
export interface PadOp extends OpBase { kind: 'pad'; }
export interface AddOp extends OpBase {
  kind: 'add';
  activation: FusedActivation;
}
/** All inputs and the output have the same parameters (the lowering requantizes first). */
export interface ConcatenationOp extends OpBase {
  kind: 'concatenation';
  axis: number;
  activation: FusedActivation;
}
/** Output parameters fixed: scale 1/256, zero point -128. */
export interface SoftmaxOp extends OpBase {
  kind: 'softmax';
  beta: number;
}
/** A ReLU / ReLU6 that could not be fused into its producer. */
export interface ActivationOp extends OpBase { kind: 'relu'|'relu6'; }

export type GraphOp = QuantizeOp|DequantizeOp|FullyConnectedOp|Conv2DOp|DepthwiseConv2DOp|Pool2DOp|
    MeanOp|ReshapeOp|PadOp|AddOp|ConcatenationOp|SoftmaxOp|ActivationOp;

export type GraphOpKind = GraphOp['kind'];

export interface IntGraph {
  /** The model's name. */
  name: string;
  tensors: GraphTensor[];
  /** In execution order (every input is a constant, a graph input or an earlier op's output). */
  ops: GraphOp[];
  /** Tensor ids, in the Layers model's input / output order. */
  inputs: number[];
  outputs: number[];
}
