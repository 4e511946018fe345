/**
 * The TFLite writer (src/export/tflite): small hand-built IntGraphs, one per op kind, written to
 * .tflite and run in TFLite's interpreter (LiteRT's wasm build), against a float reference
 * computed in tfjs on the dequantized inputs and weights. An int8 output must be within one
 * quantization step of the reference; where it is not the exact rounding of the reference, the
 * reference should sit on a half step (a tie) for the ops whose integer kernels are exact. The
 * file's structure is read back with the flatbuffers runtime and checked against TFLite's
 * schema.fbs numbers, written out here.
 */
import * as tf from '@tensorflow/tfjs';
import {ByteBuffer} from 'flatbuffers';
import * as fs from 'fs';
import * as path from 'path';

import {loadTFLiteModel, type TFLiteData} from '../../examples/qat/tflite_runtime';
import type {FusedActivation, GraphDType, GraphOp, GraphTensor, IntGraph, Padding, QuantParams} from '../../src/export/graph';
import {PRODUCER, writeTFLite} from '../../src/export/tflite/writer';

import {mulberry32} from '../shared/random';
import {expectThrowsNoLeak} from './jest_util';

// ---------------------------------------------------------------------------------------------
// Graphs

class GraphBuilder {
  readonly tensors: GraphTensor[] = [];
  readonly ops: GraphOp[] = [];
  readonly inputs: number[] = [];
  readonly outputs: number[] = [];

  tensor(name: string, shape: number[], dtype: GraphDType, quant?: QuantParams,
         data?: Int8Array|Int32Array|Float32Array): number {
    const id = this.tensors.length;
    this.tensors.push({id, name, shape, dtype, ...(quant && {quant}), ...(data && {data})});
    return id;
  }

  input(name: string, shape: number[], dtype: GraphDType, quant?: QuantParams): number {
    const id = this.tensor(name, shape, dtype, quant);
    this.inputs.push(id);
    return id;
  }

  op(op: GraphOp): number {
    this.ops.push(op);
    return op.outputs[0];
  }

  output(id: number): void {
    this.outputs.push(id);
  }

  graph(name = 'model'): IntGraph {
    return {name, tensors: this.tensors, ops: this.ops, inputs: this.inputs, outputs: this.outputs};
  }
}

function perTensor(scale: number, zeroPoint: number): QuantParams {
  return {scale: [scale], zeroPoint: [zeroPoint]};
}

function perChannel(scale: number[], axis: number): QuantParams {
  return {scale, zeroPoint: scale.map(() => 0), axis};
}

/** Parameters whose int8 grid spans [min(lo, 0), max(hi, 0)], as TF's nudge would. */
function paramsFor(values: ArrayLike<number>): QuantParams {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  const scale = (hi - lo) / 255 || 1;
  return perTensor(scale, Math.max(-128, Math.min(127, Math.round(-128 - lo / scale))));
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function randomInts(random: () => number, n: number, lo: number, hi: number): number[] {
  return Array.from({length: n}, () => lo + Math.floor(random() * (hi - lo + 1)));
}

function randomScales(random: () => number, n: number): number[] {
  return Array.from({length: n}, () => 0.004 + 0.016 * random());
}

// ---------------------------------------------------------------------------------------------
// The float reference

/** (q - zeroPoint) * scale as a float32 tensor, per channel along `axis` where set. */
function dequantized(q: ArrayLike<number>, shape: number[], quant: QuantParams): tf.Tensor {
  return tf.tidy(() => {
    const bcast = shape.map((d, i) => i === quant.axis ? d : 1);
    const scale = tf.tensor(quant.scale, quant.axis === undefined ? [] : bcast);
    const zero = tf.tensor(quant.zeroPoint, quant.axis === undefined ? [] : bcast);
    return tf.tensor(Array.from(q), shape, 'float32').sub(zero).mul(scale);
  });
}

function activate(x: tf.Tensor, activation: FusedActivation): tf.Tensor {
  return activation === 'relu' ? tf.relu(x) : activation === 'relu6' ? tf.relu6(x) : x;
}

/** An int8 graph input or constant: its tensor id, values, shape and parameters. */
interface Int8Value {
  id: number;
  q: Int8Array;
  shape: number[];
  quant: QuantParams;
}

function int8Input(
    g: GraphBuilder, random: () => number, name: string, shape: number[],
    quant: QuantParams): Int8Value {
  const q = Int8Array.from(randomInts(random, size(shape), -128, 127));
  return {id: g.input(name, shape, 'int8', quant), q, shape, quant};
}

/** Per-channel (one scale per output channel along `axis`) or per-tensor int8 weights in [-127, 127]. */
function weights(
    g: GraphBuilder, random: () => number, name: string, shape: number[], axis: number,
    channelwise: boolean): Int8Value {
  const q = Int8Array.from(randomInts(random, size(shape), -127, 127));
  const quant = channelwise ? perChannel(randomScales(random, shape[axis]), axis) :
                              perTensor(randomScales(random, 1)[0], 0);
  return {id: g.tensor(name, shape, 'int8', quant, q), q, shape, quant};
}

/** int32 bias with scale input scale * weight scale (per channel where the weights are). */
function bias(
    g: GraphBuilder, random: () => number, name: string, inputScale: number, w: Int8Value,
    channels: number): {id: number, real: tf.Tensor} {
  const wScale = w.quant.axis === undefined ? Array(channels).fill(w.quant.scale[0]) : w.quant.scale;
  const scale = wScale.map((s) => s * inputScale);
  const q = Int32Array.from(randomInts(random, channels, -3000, 3000));
  const quant = w.quant.axis === undefined ? perTensor(scale[0], 0) : perChannel(scale, 0);
  const id = g.tensor(name, [channels], 'int32', quant, q);
  return {id, real: tf.tidy(() => tf.tensor1d(Array.from(q)).mul(tf.tensor1d(scale)))};
}

// ---------------------------------------------------------------------------------------------
// Running and comparing

async function runTFLite(graph: IntGraph, inputs: TFLiteData[]): Promise<TFLiteData[]> {
  const model = await loadTFLiteModel(writeTFLite(graph));
  try {
    return await model.run(inputs);
  } finally {
    model.delete();
  }
}

interface Agreement {
  n: number;
  /** Elements that are not the rounded reference (all within one step). */
  offByOne: number;
  /** Of those, how many have the reference within 1e-3 steps of a half step. */
  atTies: number;
  maxSteps: number;
}

/** The reference in the output's quantized domain (real-valued, before rounding). */
function referenceSteps(reference: Float32Array, quant: QuantParams): Float64Array {
  return Float64Array.from(reference, (r) => r / quant.scale[0] + quant.zeroPoint[0]);
}

function agreement(actual: ArrayLike<number>, steps: Float64Array, lo = -128, hi = 127): Agreement {
  let offByOne = 0;
  let atTies = 0;
  let maxSteps = 0;
  for (let i = 0; i < steps.length; i++) {
    const target = Math.min(hi, Math.max(lo, steps[i]));
    const diff = Math.abs(actual[i] - Math.round(target));
    maxSteps = Math.max(maxSteps, Math.abs(actual[i] - target));
    if (diff === 0) continue;
    offByOne++;
    if (Math.abs(Math.abs(target - Math.floor(target)) - 0.5) < 1e-3) atTies++;
  }
  return {n: steps.length, offByOne, atTies, maxSteps};
}

const measured: Record<string, Agreement> = {};

afterAll(() => {
  const rows = Object.entries(measured).map(
      ([name, a]) => `${name.padEnd(40)} n=${String(a.n).padStart(5)} off-by-one=${a.offByOne} ` +
          `(at ties ${a.atTies}) max |q - ref| = ${a.maxSteps.toFixed(3)} steps`);
  if (rows.length > 0) console.log(`TFLite vs float reference:\n${rows.join('\n')}`);
});

/**
 * `exact`: the integer kernel computes the real result up to its final rounding (accumulation,
 * a 31-bit requantization multiplier), so a miss must be a tie. Otherwise (softmax's and
 * average's integer approximations) a miss only has to stay within one step.
 */
function expectAgrees(
    name: string, actual: ArrayLike<number>, reference: Float32Array, quant: QuantParams,
    exact: boolean): void {
  const a = agreement(actual, referenceSteps(reference, quant));
  measured[name] = a;
  expect(a.n).toBe(actual.length);
  expect(a.maxSteps).toBeLessThanOrEqual(1);
  if (exact) expect(a.offByOne).toBe(a.atTies);
}

/** An int8 graph, its inputs, the float reference of its output and how closely to match it. */
interface Case {
  graph: IntGraph;
  inputs: Int8Array[];
  reference: Float32Array;
  outQuant: QuantParams;
  exact: boolean;
}

async function checkCase(name: string, make: () => Case): Promise<void> {
  const before = tf.memory().numTensors;
  const c = make();
  expect(tf.memory().numTensors).toBe(before);
  const [out] = await runTFLite(c.graph, c.inputs);
  expect(out).toBeInstanceOf(Int8Array);
  expectAgrees(name, out, c.reference, c.outQuant, c.exact);
}

/** The output tensor's parameters follow from the reference values (or are fixed by the op). */
function finish(
    g: GraphBuilder, inputs: Int8Value[], reference: tf.Tensor, makeOp: (out: number) => GraphOp,
    options: {outQuant?: QuantParams, exact?: boolean} = {}): Case {
  const values = reference.dataSync() as Float32Array;
  const outQuant = options.outQuant ?? paramsFor(values);
  const out = g.tensor('out', reference.shape, 'int8', outQuant);
  g.output(g.op(makeOp(out)));
  reference.dispose();
  return {graph: g.graph(), inputs: inputs.map((x) => x.q), reference: values, outQuant,
          exact: options.exact ?? true};
}

// ---------------------------------------------------------------------------------------------
// One case per op kind

function fullyConnectedCase(
    seed: number, channelwise: boolean, activation: FusedActivation): Case {
  const random = mulberry32(seed);
  const g = new GraphBuilder();
  const x = int8Input(g, random, 'x', [8, 20], perTensor(0.05, -7));
  const w = weights(g, random, 'dense/kernel', [16, 20], 0, channelwise);
  const b = bias(g, random, 'dense/bias', x.quant.scale[0], w, 16);
  const reference = tf.tidy(() => activate(
      tf.matMul(dequantized(x.q, x.shape, x.quant), dequantized(w.q, w.shape, w.quant), false, true)
          .add(b.real), activation));
  b.real.dispose();
  return finish(g, [x], reference, (out) => ({
    kind: 'fullyConnected', layerName: 'dense', inputs: [x.id, w.id, b.id], outputs: [out],
    activation,
  }));
}

interface ConvSetup {
  seed: number;
  channelwise: boolean;
  strides: [number, number];
  dilations: [number, number];
  padding: Padding;
  activation: FusedActivation;
}

function conv2dCase({seed, channelwise, strides, dilations, padding, activation}: ConvSetup): Case {
  const random = mulberry32(seed);
  const g = new GraphBuilder();
  const x = int8Input(g, random, 'image', [1, 7, 6, 3], perTensor(0.04, 5));
  const w = weights(g, random, 'conv/kernel', [4, 3, 2, 3], 0, channelwise);
  const b = bias(g, random, 'conv/bias', x.quant.scale[0], w, 4);
  const reference = tf.tidy(() => {
    const kernel = dequantized(w.q, w.shape, w.quant).transpose([1, 2, 3, 0]);
    const y = tf.conv2d(
        dequantized(x.q, x.shape, x.quant) as tf.Tensor4D, kernel as tf.Tensor4D, strides, padding,
        'NHWC', dilations);
    return activate(y.add(b.real), activation);
  });
  b.real.dispose();
  return finish(g, [x], reference, (out) => ({
    kind: 'conv2d', layerName: 'conv', inputs: [x.id, w.id, b.id], outputs: [out], strides,
    dilations, padding, activation,
  }));
}

function depthwiseCase(
    {seed, channelwise, strides, dilations, padding, activation}: ConvSetup,
    multiplier: number): Case {
  const random = mulberry32(seed);
  const g = new GraphBuilder();
  const inChannels = 3;
  const channels = inChannels * multiplier;
  const x = int8Input(g, random, 'image', [1, 6, 7, inChannels], perTensor(0.03, -20));
  const w = weights(g, random, 'dw/depthwise_kernel', [1, 3, 3, channels], 3, channelwise);
  const b = bias(g, random, 'dw/bias', x.quant.scale[0], w, channels);
  const reference = tf.tidy(() => {
    // Output channel c = in_channel * multiplier + m: the last axis splits as [in, multiplier].
    const kernel = dequantized(w.q, w.shape, w.quant).reshape([3, 3, inChannels, multiplier]);
    const y = tf.depthwiseConv2d(
        dequantized(x.q, x.shape, x.quant) as tf.Tensor4D, kernel as tf.Tensor4D, strides,
        padding, 'NHWC', dilations);
    return activate(y.add(b.real), activation);
  });
  b.real.dispose();
  return finish(g, [x], reference, (out) => ({
    kind: 'depthwiseConv2d', layerName: 'dw', inputs: [x.id, w.id, b.id], outputs: [out],
    strides, dilations, padding, depthMultiplier: multiplier, activation,
  }));
}

function poolCase(kind: 'maxPool2d'|'averagePool2d', padding: Padding): Case {
  const random = mulberry32(kind === 'maxPool2d' ? 11 : 12);
  const g = new GraphBuilder();
  const x = int8Input(g, random, 'features', [1, 7, 5, 4], perTensor(0.02, 3));
  const filter: [number, number] = [3, 2];
  const strides: [number, number] = [2, 2];
  const reference = tf.tidy(() => {
    const input = dequantized(x.q, x.shape, x.quant) as tf.Tensor4D;
    return kind === 'maxPool2d' ? tf.maxPool(input, filter, strides, padding) :
                                  tf.avgPool(input, filter, strides, padding);
  });
  // The output keeps the input's parameters (TFLite requires it); averages round.
  return finish(g, [x], reference, (out) => ({
    kind, layerName: 'pool', inputs: [x.id], outputs: [out], filter, strides, padding,
  }), {outQuant: x.quant, exact: kind === 'maxPool2d'});
}

function meanCase(keepDims: boolean): Case {
  const random = mulberry32(keepDims ? 13 : 22);
  const g = new GraphBuilder();
  const x = int8Input(g, random, 'features', [2, 4, 5, 16], perTensor(0.03, -11));
  const axes = g.tensor('gap/axes', [2], 'int32', undefined, Int32Array.from([1, 2]));
  const reference = tf.tidy(() => tf.mean(dequantized(x.q, x.shape, x.quant), [1, 2], keepDims));
  return finish(g, [x], reference, (out) => ({
    kind: 'mean', layerName: 'gap', inputs: [x.id, axes], outputs: [out], keepDims,
  }), {exact: false});
}

function reshapeCase(): Case {
  const random = mulberry32(14);
  const g = new GraphBuilder();
  const x = int8Input(g, random, 'features', [1, 2, 3, 4], perTensor(0.03, 9));
  const shape = g.tensor('flatten/shape', [2], 'int32', undefined, Int32Array.from([1, 24]));
  const reference = tf.tidy(() => dequantized(x.q, x.shape, x.quant).reshape([1, 24]));
  return finish(g, [x], reference, (out) => ({
    kind: 'reshape', layerName: 'flatten', inputs: [x.id, shape], outputs: [out],
  }), {outQuant: x.quant});
}

function padCase(): Case {
  const random = mulberry32(15);
  const g = new GraphBuilder();
  const x = int8Input(g, random, 'features', [1, 3, 4, 2], perTensor(0.03, -30));
  const pads = [[0, 0], [1, 2], [2, 0], [0, 0]];
  const paddings = g.tensor('zero_padding/paddings', [4, 2], 'int32', undefined, Int32Array.from(pads.flat()));
  const reference = tf.tidy(() => tf.pad(dequantized(x.q, x.shape, x.quant), pads as Array<[number, number]>));
  return finish(g, [x], reference, (out) => ({
    kind: 'pad', layerName: 'zero_padding', inputs: [x.id, paddings], outputs: [out],
  }), {outQuant: x.quant});
}

function addCase(activation: FusedActivation): Case {
  const random = mulberry32(16);
  const g = new GraphBuilder();
  const a = int8Input(g, random, 'a', [2, 3, 3, 4], perTensor(0.05, 10));
  const b = int8Input(g, random, 'b', [2, 3, 3, 4], perTensor(0.02, -40));
  const reference = tf.tidy(() => activate(
      dequantized(a.q, a.shape, a.quant).add(dequantized(b.q, b.shape, b.quant)), activation));
  return finish(g, [a, b], reference, (out) => ({
    kind: 'add', layerName: 'add', inputs: [a.id, b.id], outputs: [out], activation,
  }));
}

function concatenationCase(): Case {
  const random = mulberry32(17);
  const g = new GraphBuilder();
  const quant = perTensor(0.04, 2);
  const a = int8Input(g, random, 'a', [1, 2, 3, 2], quant);
  const b = int8Input(g, random, 'b', [1, 2, 3, 5], quant);
  const reference = tf.tidy(() => tf.concat(
      [dequantized(a.q, a.shape, a.quant), dequantized(b.q, b.shape, b.quant)], 3));
  return finish(g, [a, b], reference, (out) => ({
    kind: 'concatenation', layerName: 'concat', inputs: [a.id, b.id], outputs: [out], axis: 3,
    activation: 'none',
  }), {outQuant: quant});
}

function softmaxCase(): Case {
  const random = mulberry32(18);
  const g = new GraphBuilder();
  const x = int8Input(g, random, 'logits', [4, 10], perTensor(0.06, 4));
  const beta = 1;
  const reference = tf.tidy(() => tf.softmax(dequantized(x.q, x.shape, x.quant).mul(beta)));
  return finish(g, [x], reference, (out) => ({
    kind: 'softmax', layerName: 'softmax', inputs: [x.id], outputs: [out], beta,
  }), {outQuant: perTensor(1 / 256, -128), exact: false});
}

function activationCase(kind: 'relu'|'relu6'): Case {
  const random = mulberry32(kind === 'relu' ? 19 : 20);
  const g = new GraphBuilder();
  // A range past 6 on both sides, so that both clamps of RELU6 are reached.
  const x = int8Input(g, random, 'features', [2, 50], perTensor(0.07, -20));
  const reference = tf.tidy(() => activate(dequantized(x.q, x.shape, x.quant), kind));
  return finish(g, [x], reference, (out) => ({
    kind, layerName: kind, inputs: [x.id], outputs: [out],
  }));
}

function requantizeCase(): Case {
  const random = mulberry32(21);
  const g = new GraphBuilder();
  const x = int8Input(g, random, 'x', [3, 17], perTensor(0.013, 25));
  const reference = tf.tidy(() => dequantized(x.q, x.shape, x.quant));
  // Not exact in LiteRT: its int8 -> int8 QUANTIZE behaves as if the rescale factor were kept to
  // 8 fractional bits (a sweep of all 256 inputs here: 33 off by one, up to 0.76 steps).
  return finish(g, [x], reference, (out) => ({
    kind: 'quantize', layerName: 'requantize', inputs: [x.id], outputs: [out],
  }), {outQuant: perTensor(0.021, -3), exact: false});
}

describe('writeTFLite: each op kind runs in TFLite and matches the float reference', () => {
  const plain: Omit<ConvSetup, 'seed'|'channelwise'> =
      {strides: [1, 1], dilations: [1, 1], padding: 'same', activation: 'none'};
  const cases: Array<[string, () => Case]> = [
    ['FULLY_CONNECTED per tensor', () => fullyConnectedCase(1, false, 'none')],
    ['FULLY_CONNECTED per channel, relu', () => fullyConnectedCase(2, true, 'relu')],
    ['CONV_2D per channel, same', () => conv2dCase({...plain, seed: 3, channelwise: true})],
    ['CONV_2D per tensor, valid, strides 2x1, relu6', () => conv2dCase({
       seed: 4, channelwise: false, strides: [2, 1], dilations: [1, 1], padding: 'valid',
       activation: 'relu6'})],
    ['CONV_2D per channel, dilations 2x1', () => conv2dCase({
       ...plain, seed: 5, channelwise: true, dilations: [2, 1]})],
    ['DEPTHWISE_CONV_2D per channel, multiplier 2', () => depthwiseCase({...plain, seed: 6, channelwise: true}, 2)],
    ['DEPTHWISE_CONV_2D per tensor, strides 1x2, relu', () => depthwiseCase({
       seed: 7, channelwise: false, strides: [1, 2], dilations: [1, 1], padding: 'valid',
       activation: 'relu'}, 1)],
    ['DEPTHWISE_CONV_2D per channel, dilations 1x2', () => depthwiseCase({
       ...plain, seed: 8, channelwise: true, dilations: [1, 2]}, 1)],
    ['MAX_POOL_2D same', () => poolCase('maxPool2d', 'same')],
    ['AVERAGE_POOL_2D valid', () => poolCase('averagePool2d', 'valid')],
    ['AVERAGE_POOL_2D same', () => poolCase('averagePool2d', 'same')],
    ['MAX_POOL_2D valid', () => poolCase('maxPool2d', 'valid')],
    ['MEAN over H, W', () => meanCase(false)],
    ['MEAN over H, W, keepDims', () => meanCase(true)],
    ['RESHAPE', reshapeCase],
    ['PAD', padCase],
    ['ADD relu', () => addCase('relu')],
    ['CONCATENATION', concatenationCase],
    ['SOFTMAX', softmaxCase],
    ['RELU', () => activationCase('relu')],
    ['RELU6', () => activationCase('relu6')],
    ['QUANTIZE int8 -> int8 (requantize)', requantizeCase],
  ];
  for (const [name, make] of cases) {
    it(name, () => checkCase(name, make));
  }
});

describe('writeTFLite: float32 inputs and outputs', () => {
  it('QUANTIZE -> FULLY_CONNECTED -> DEQUANTIZE takes and returns float32', async () => {
    const before = tf.memory().numTensors;
    const random = mulberry32(30);
    const g = new GraphBuilder();
    const inQuant = perTensor(0.02, -5);
    const input = g.input('x', [2, 16], 'float32');
    const xq = g.tensor('x/quantized', [2, 16], 'int8', inQuant);
    g.op({kind: 'quantize', layerName: 'quantize', inputs: [input], outputs: [xq]});
    const w = weights(g, random, 'dense/kernel', [5, 16], 0, true);
    const b = bias(g, random, 'dense/bias', inQuant.scale[0], w, 5);
    const x = Float32Array.from({length: 32}, () => -2.5 + 5 * random());
    const reference = tf.tidy(() => {
      // The float input on the input's int8 grid (saturating), then the layer in float.
      const grid = tf.tensor2d(x, [2, 16]).div(0.02).round().add(-5).clipByValue(-128, 127);
      const xReal = grid.add(5).mul(0.02);
      return xReal.matMul(dequantized(w.q, w.shape, w.quant), false, true).add(b.real);
    });
    const refValues = reference.dataSync() as Float32Array;
    const outQuant = paramsFor(refValues);
    const yq = g.tensor('dense/out', [2, 5], 'int8', outQuant);
    g.op({kind: 'fullyConnected', layerName: 'dense', inputs: [xq, w.id, b.id], outputs: [yq],
          activation: 'none'});
    const y = g.tensor('y', [2, 5], 'float32');
    g.op({kind: 'dequantize', layerName: 'dequantize', inputs: [yq], outputs: [y]});
    g.output(y);
    tf.dispose([reference, b.real]);
    expect(tf.memory().numTensors).toBe(before);

    const [out] = await runTFLite(g.graph(), [x]);
    expect(out).toBeInstanceOf(Float32Array);
    // Back in int8 steps: the dequantized output is exactly on the output grid.
    const steps = Array.from(out, (v) => v / outQuant.scale[0] + outQuant.zeroPoint[0]);
    steps.forEach((s) => expect(Math.abs(s - Math.round(s))).toBeLessThan(1e-3));
    expectAgrees('QUANTIZE/FC/DEQUANTIZE float32 I/O', steps.map(Math.round), refValues, outQuant, true);
  });

  it('QUANTIZE float32 -> int8 and DEQUANTIZE int8 -> float32 on their own', async () => {
    const random = mulberry32(31);
    const quant = perTensor(0.037, 12);
    const g = new GraphBuilder();
    const input = g.input('x', [40], 'float32');
    const q = g.tensor('x/quantized', [40], 'int8', quant);
    g.op({kind: 'quantize', layerName: 'quantize', inputs: [input], outputs: [q]});
    g.output(q);
    const x = Float32Array.from({length: 40}, () => -6 + 12 * random());
    const [quantized] = await runTFLite(g.graph(), [x]);
    expectAgrees('QUANTIZE float32 -> int8', quantized, x, quant, true);

    const h = new GraphBuilder();
    const inQ = h.input('q', [40], 'int8', quant);
    const real = h.tensor('real', [40], 'float32');
    h.op({kind: 'dequantize', layerName: 'dequantize', inputs: [inQ], outputs: [real]});
    h.output(real);
    const qs = Int8Array.from(randomInts(random, 40, -128, 127));
    const [dequant] = await runTFLite(h.graph(), [qs]);
    // (q - zp) * scale, the same product in float32 as TFLite computes it.
    dequant.forEach((v, i) => expect(v).toBeCloseTo(Math.fround((qs[i] - 12) * Math.fround(0.037)), 6));
  });
});

// ---------------------------------------------------------------------------------------------
// The file's structure, read back. Numbers from TFLite's schema.fbs.

const SCHEMA = {
  model: {version: 0, operatorCodes: 1, subgraphs: 2, description: 3, buffers: 4},
  subgraph: {tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4},
  tensor: {shape: 0, type: 1, buffer: 2, name: 3, quantization: 4, shapeSignature: 7, hasRank: 8},
  quantization: {scale: 2, zeroPoint: 3, quantizedDimension: 6},
  buffer: {data: 0},
  operatorCode: {deprecatedBuiltinCode: 0, version: 2, builtinCode: 3},
  operator: {opcodeIndex: 0, inputs: 1, outputs: 2, builtinOptionsType: 3, builtinOptions: 4},
  conv2dOptions: {padding: 0, strideW: 1, strideH: 2, activation: 3, dilationW: 4, dilationH: 5},
  depthwiseOptions: {padding: 0, strideW: 1, strideH: 2, depthMultiplier: 3, activation: 4,
                     dilationW: 5, dilationH: 6},
  tensorType: {FLOAT32: 0, INT32: 2, INT8: 9},
  builtin: {CONV_2D: 3, DEPTHWISE_CONV_2D: 4, DEQUANTIZE: 6, QUANTIZE: 114},
  options: {Conv2DOptions: 1, DepthwiseConv2DOptions: 2},
  activation: {RELU6: 3},
  padding: {VALID: 1},
};

/** Reads tables of a flatbuffer by field id. */
class Reader {
  readonly bb: ByteBuffer;
  constructor(readonly bytes: Uint8Array) {
    this.bb = new ByteBuffer(bytes);
  }
  root(): number {
    return this.bb.readInt32(this.bb.position()) + this.bb.position();
  }
  has(table: number, id: number): boolean {
    return this.bb.__offset(table, 4 + 2 * id) !== 0;
  }
  private at(table: number, id: number): number {
    const offset = this.bb.__offset(table, 4 + 2 * id);
    if (offset === 0) throw new Error(`field ${id} is absent`);
    return table + offset;
  }
  int8(table: number, id: number): number {
    return this.bb.readInt8(this.at(table, id));
  }
  int32(table: number, id: number): number {
    return this.bb.readInt32(this.at(table, id));
  }
  float32(table: number, id: number): number {
    return this.bb.readFloat32(this.at(table, id));
  }
  string(table: number, id: number): string {
    return this.bb.__string(this.at(table, id)) as string;
  }
  table(table: number, id: number): number {
    return this.bb.__indirect(this.at(table, id));
  }
  private vector(table: number, id: number): {start: number, length: number} {
    const at = this.at(table, id);
    return {start: this.bb.__vector(at), length: this.bb.__vector_len(at)};
  }
  tables(table: number, id: number): number[] {
    const {start, length} = this.vector(table, id);
    return Array.from({length}, (_, i) => this.bb.__indirect(start + 4 * i));
  }
  int32s(table: number, id: number): number[] {
    const {start, length} = this.vector(table, id);
    return Array.from({length}, (_, i) => this.bb.readInt32(start + 4 * i));
  }
  int64s(table: number, id: number): number[] {
    const {start, length} = this.vector(table, id);
    return Array.from({length}, (_, i) => Number(this.bb.readInt64(start + 8 * i)));
  }
  float32s(table: number, id: number): number[] {
    const {start, length} = this.vector(table, id);
    return Array.from({length}, (_, i) => this.bb.readFloat32(start + 4 * i));
  }
  bytesOf(table: number, id: number): {offset: number, bytes: Uint8Array} {
    const {start, length} = this.vector(table, id);
    return {offset: start, bytes: this.bytes.subarray(start, start + length)};
  }
}

/** float32 in -> QUANTIZE -> CONV_2D (per channel) -> DEPTHWISE (per channel) -> DEQUANTIZE. */
function structureGraph(): IntGraph {
  const random = mulberry32(40);
  const g = new GraphBuilder();
  const x = g.input('image', [1, 5, 5, 2], 'float32');
  const xq = g.tensor('image/quantized', [1, 5, 5, 2], 'int8', perTensor(0.02, 1));
  g.op({kind: 'quantize', layerName: 'quantize', inputs: [x], outputs: [xq]});
  const w = g.tensor('conv/kernel', [3, 2, 2, 2], 'int8', perChannel([0.01, 0.02, 0.03], 0),
                     Int8Array.from(randomInts(random, 24, -127, 127)));
  const b = g.tensor('conv/bias', [3], 'int32', perChannel([0.0002, 0.0004, 0.0006], 0),
                     Int32Array.from([100, -200, 300]));
  const c = g.tensor('conv/out', [1, 2, 4, 3], 'int8', perTensor(0.05, -3));
  g.op({kind: 'conv2d', layerName: 'conv', inputs: [xq, w, b], outputs: [c], strides: [2, 1],
        dilations: [1, 1], padding: 'valid', activation: 'relu6'});
  const dw = g.tensor('dw/kernel', [1, 1, 1, 3], 'int8', perChannel([0.1, 0.2, 0.3], 3),
                      Int8Array.from([5, -6, 7]));
  const db = g.tensor('dw/bias', [3], 'int32', perChannel([0.005, 0.01, 0.015], 0),
                      Int32Array.from([1, 2, 3]));
  const d = g.tensor('dw/out', [1, 2, 4, 3], 'int8', perTensor(0.04, 0));
  g.op({kind: 'depthwiseConv2d', layerName: 'dw', inputs: [c, dw, db], outputs: [d],
        strides: [1, 1], dilations: [1, 1], padding: 'same', depthMultiplier: 1,
        activation: 'none'});
  const y = g.tensor('y', [1, 2, 4, 3], 'float32');
  g.op({kind: 'dequantize', layerName: 'dequantize', inputs: [d], outputs: [y]});
  g.output(y);
  return g.graph('structure');
}

describe('writeTFLite: the flatbuffer', () => {
  const graph = structureGraph();
  const bytes = writeTFLite(graph);
  const r = new Reader(bytes);
  const S = SCHEMA;
  const model = r.root();
  const [subgraph] = r.tables(model, S.model.subgraphs);
  const tensors = r.tables(subgraph, S.subgraph.tensors);
  const operators = r.tables(subgraph, S.subgraph.operators);
  const codes = r.tables(model, S.model.operatorCodes);

  it('is schema version 3 with identifier TFL3 and names its producer', () => {
    expect(String.fromCharCode(...bytes.subarray(4, 8))).toBe('TFL3');
    expect(r.int32(model, S.model.version)).toBe(3);
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8'));
    expect(PRODUCER).toBe(`tfjs-fake-quant ${pkg.version}`);
    expect(r.string(model, S.model.description)).toBe(PRODUCER);
    expect(r.string(subgraph, S.subgraph.name)).toBe('structure');
  });

  it('keeps buffer 0 empty and puts each constant in its own 16-byte aligned buffer', () => {
    const buffers = r.tables(model, S.model.buffers);
    expect(r.has(buffers[0], S.buffer.data)).toBe(false);
    expect(buffers.length).toBe(1 + graph.tensors.filter((t) => t.data).length);
    graph.tensors.forEach((t, i) => {
      const index = r.int32(tensors[i], S.tensor.buffer);
      if (t.data === undefined) {
        expect(index).toBe(0);
        return;
      }
      const {offset, bytes: data} = r.bytesOf(buffers[index], S.buffer.data);
      expect(offset % 16).toBe(0);
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const read = t.dtype === 'int8' ? Array.from(data, (_, j) => view.getInt8(j)) :
                                        Array.from({length: data.length / 4}, (_, j) => view.getInt32(4 * j, true));
      expect(read).toEqual(Array.from(t.data));
    });
  });

  it('writes both builtin code fields and the int8 op versions', () => {
    const used = codes.map((c) => ({
      deprecated: r.int8(c, S.operatorCode.deprecatedBuiltinCode),
      code: r.int32(c, S.operatorCode.builtinCode),
      version: r.int32(c, S.operatorCode.version),
    }));
    // QUANTIZE's code 114 fits the byte (below the placeholder 127).
    expect(used).toEqual([
      {deprecated: S.builtin.QUANTIZE, code: S.builtin.QUANTIZE, version: 1},
      {deprecated: S.builtin.CONV_2D, code: S.builtin.CONV_2D, version: 3},
      {deprecated: S.builtin.DEPTHWISE_CONV_2D, code: S.builtin.DEPTHWISE_CONV_2D, version: 3},
      {deprecated: S.builtin.DEQUANTIZE, code: S.builtin.DEQUANTIZE, version: 2},
    ]);
    expect(operators.map((o) => r.int32(o, S.operator.opcodeIndex))).toEqual([0, 1, 2, 3]);
    expect(operators.map((o) => r.int32s(o, S.operator.inputs))).toEqual(graph.ops.map((o) => o.inputs));
    expect(operators.map((o) => r.int32s(o, S.operator.outputs))).toEqual(graph.ops.map((o) => o.outputs));
  });

  it('sets conv strides and dilations explicitly', () => {
    const O = S.conv2dOptions;
    expect(r.int8(operators[1], S.operator.builtinOptionsType)).toBe(S.options.Conv2DOptions);
    const conv = r.table(operators[1], S.operator.builtinOptions);
    expect([O.padding, O.strideW, O.strideH, O.activation, O.dilationW, O.dilationH].map(
               (id) => id === O.padding || id === O.activation ? r.int8(conv, id) : r.int32(conv, id)))
        .toEqual([S.padding.VALID, 1, 2, S.activation.RELU6, 1, 1]);
    const D = S.depthwiseOptions;
    expect(r.int8(operators[2], S.operator.builtinOptionsType)).toBe(S.options.DepthwiseConv2DOptions);
    const dw = r.table(operators[2], S.operator.builtinOptions);
    expect([D.strideW, D.strideH, D.depthMultiplier, D.dilationW, D.dilationH].map((id) => r.int32(dw, id)))
        .toEqual([1, 1, 1, 1, 1]);
  });

  it('writes types, names, shapes, per-channel axes and int32 biases', () => {
    const T = S.tensor;
    const Q = S.quantization;
    expect(tensors.map((t) => r.string(t, T.name))).toEqual(graph.tensors.map((t) => t.name));
    expect(tensors.map((t) => r.int32s(t, T.shape))).toEqual(graph.tensors.map((t) => t.shape));
    const type = {float32: S.tensorType.FLOAT32, int8: S.tensorType.INT8, int32: S.tensorType.INT32};
    expect(tensors.map((t) => r.int8(t, T.type))).toEqual(graph.tensors.map((t) => type[t.dtype]));
    expect(tensors.every((t) => r.int8(t, T.hasRank) === 1)).toBe(true);
    graph.tensors.forEach((t, i) => {
      expect(r.has(tensors[i], T.quantization)).toBe(t.quant !== undefined);
      if (t.quant === undefined) return;
      const q = r.table(tensors[i], T.quantization);
      expect(r.float32s(q, Q.scale)).toEqual(t.quant.scale.map(Math.fround));
      expect(r.int64s(q, Q.zeroPoint)).toEqual(t.quant.zeroPoint);
      expect(r.int32(q, Q.quantizedDimension)).toBe(t.quant.axis ?? 0);
    });
    const byName = (name: string) => tensors[graph.tensors.findIndex((t) => t.name === name)];
    expect(r.int32(r.table(byName('conv/kernel'), T.quantization), Q.quantizedDimension)).toBe(0);
    expect(r.int32(r.table(byName('dw/kernel'), T.quantization), Q.quantizedDimension)).toBe(3);
    expect(r.int8(byName('conv/bias'), T.type)).toBe(S.tensorType.INT32);
    expect(r.int32s(subgraph, S.subgraph.inputs)).toEqual(graph.inputs);
    expect(r.int32s(subgraph, S.subgraph.outputs)).toEqual(graph.outputs);
  });

  it('writes static shapes (LiteRT.js cannot size a -1 batch in shape_signature)', () => {
    expect(tensors.some((t) => r.has(t, S.tensor.shapeSignature))).toBe(false);
  });

  it('loads in TFLite with the subgraph inputs and outputs as its signature', async () => {
    const model = await loadTFLiteModel(bytes);
    try {
      expect(model.inputs.map(({name, shape, dtype}) => ({name, shape, dtype})))
          .toEqual([{name: 'image', shape: [1, 5, 5, 2], dtype: 'float32'}]);
      expect(model.outputs.map(({name, shape, dtype}) => ({name, shape, dtype})))
          .toEqual([{name: 'y', shape: [1, 2, 4, 3], dtype: 'float32'}]);
      const [y] = await model.run([Float32Array.from({length: 50}, (_, i) => Math.sin(i))]);
      expect(y.length).toBe(24);
      expect(Array.from(y).every(Number.isFinite)).toBe(true);
    } finally {
      model.delete();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Graphs that break the contract

function dense(): {g: GraphBuilder, x: number, w: number, b: number, y: number} {
  const g = new GraphBuilder();
  const x = g.input('x', [1, 4], 'int8', perTensor(0.1, 0));
  const w = g.tensor('dense/kernel', [2, 4], 'int8', perTensor(0.01, 0), new Int8Array(8));
  const b = g.tensor('dense/bias', [2], 'int32', perTensor(0.001, 0), new Int32Array(2));
  const y = g.tensor('y', [1, 2], 'int8', perTensor(0.1, 0));
  return {g, x, w, b, y};
}

function denseGraph(edit: (parts: ReturnType<typeof dense>) => void = () => {}): IntGraph {
  const parts = dense();
  edit(parts);
  const {g, x, w, b, y} = parts;
  if (g.ops.length === 0) {
    g.op({kind: 'fullyConnected', layerName: 'dense', inputs: [x, w, b], outputs: [y], activation: 'none'});
  }
  g.output(y);
  return g.graph();
}

describe('writeTFLite: a wrong graph gets a clear error', () => {
  it('writes the valid base graph', () => {
    expect(writeTFLite(denseGraph()).length).toBeGreaterThan(0);
  });

  it('an unknown op kind', () => {
    const graph = denseGraph(({g, x, y}) => {
      g.op({kind: 'gelu', layerName: 'act', inputs: [x], outputs: [y]} as unknown as GraphOp);
    });
    expectThrowsNoLeak(() => writeTFLite(graph), /writeTFLite/, /layer 'act'/, /unknown kind 'gelu'/,
                       /fullyConnected/);
    const inherited = denseGraph(({g, x, y}) => {
      g.op({kind: 'constructor', layerName: 'act', inputs: [x], outputs: [y]} as unknown as GraphOp);
    });
    expectThrowsNoLeak(() => writeTFLite(inherited), /unknown kind 'constructor'/);
  });

  it('an int8 tensor without quantization parameters', () => {
    const graph = denseGraph(({g, y}) => {
      delete g.tensors[y].quant;
    });
    expectThrowsNoLeak(() => writeTFLite(graph), /tensor 3 \('y'\)/, /int8 but has no `quant`/);
  });

  it('data whose length does not match the shape', () => {
    const graph = denseGraph(({g, w}) => {
      g.tensors[w].data = new Int8Array(6);
    });
    expectThrowsNoLeak(() => writeTFLite(graph), /'dense\/kernel'/, /6 data values/, /\[2, 4\] has 8 elements/);
  });

  it('data of the wrong array type', () => {
    const graph = denseGraph(({g, b}) => {
      g.tensors[b].data = new Float32Array(2);
    });
    expectThrowsNoLeak(() => writeTFLite(graph), /'dense\/bias'/, /must be an Int32Array/);
  });

  it('per-channel weights along an axis TFLite does not read', () => {
    const graph = denseGraph(({g, w}) => {
      g.tensors[w].quant = perChannel([0.1, 0.1, 0.1, 0.1], 1);
    });
    expectThrowsNoLeak(() => writeTFLite(graph), /layer 'dense'/, /axis 1/, /along axis 0/);
  });

  it('weights that are not constant', () => {
    const graph = denseGraph(({g, w}) => {
      delete g.tensors[w].data;
      g.inputs.push(w);
    });
    expectThrowsNoLeak(() => writeTFLite(graph), /input 1 \(weights \[out, in\]\)/, /must be a constant/);
  });

  it('an op that reads a tensor no earlier op wrote', () => {
    const graph = denseGraph(({g, w, b, y}) => {
      const hidden = g.tensor('hidden', [1, 4], 'int8', perTensor(0.1, 0));
      g.op({kind: 'fullyConnected', layerName: 'dense', inputs: [hidden, w, b], outputs: [y], activation: 'none'});
      g.op({kind: 'relu', layerName: 'act', inputs: [g.inputs[0]], outputs: [hidden]});
    });
    expectThrowsNoLeak(() => writeTFLite(graph), /op 0 \(fullyConnected of layer 'dense'\)/,
                       /reads tensor 4 \('hidden'\) before any op writes it/);
  });

  it('output parameters an int8 kernel does not write', () => {
    const reshape = denseGraph(({g, x}) => {
      const shape = g.tensor('flatten/shape', [2], 'int32', undefined, Int32Array.from([4, 1]));
      const out = g.tensor('flat', [4, 1], 'int8', perTensor(0.2, 0));
      g.op({kind: 'reshape', layerName: 'flatten', inputs: [x, shape], outputs: [out]});
      g.output(out);
    });
    expectThrowsNoLeak(() => writeTFLite(reshape), /layer 'flatten'/, /keeps its input's parameters/,
                       /tensor 0 \('x'\) has scale 0.1, zero point 0/, /requantize the input first/);
    const softmax = denseGraph(({g, x}) => {
      const out = g.tensor('probs', [1, 4], 'int8', perTensor(1 / 255, -128));
      g.op({kind: 'softmax', layerName: 'softmax', inputs: [x], outputs: [out], beta: 1});
      g.output(out);
    });
    expectThrowsNoLeak(() => writeTFLite(softmax), /layer 'softmax'/, /writes scale 0.00390625, zero point -128/);
  });

  it('an output of the wrong dtype', () => {
    const graph = denseGraph(({g, x}) => {
      const out = g.tensor('real', [1, 4], 'int8', perTensor(0.1, 0));
      g.op({kind: 'dequantize', layerName: 'dequantize', inputs: [x], outputs: [out]});
      g.output(out);
    });
    expectThrowsNoLeak(() => writeTFLite(graph), /tensor 4 \('real'\) of dtype int8; its output is float32/);
  });

  it('a wrong number of inputs', () => {
    const graph = denseGraph(({g, x, w, y}) => {
      g.op({kind: 'fullyConnected', layerName: 'dense', inputs: [x, w], outputs: [y], activation: 'none'});
    });
    expectThrowsNoLeak(() => writeTFLite(graph), /has 2 inputs; it takes 3 \(x, weights, bias\)/);
  });
});
