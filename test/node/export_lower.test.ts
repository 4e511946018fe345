/**
 * `lowerModel` on its own: the integer graph of quantized models, checked against independent
 * numbers: the activation parameters against TF's nudge of each FakeQuant's range, the int8
 * kernels times their scales against the fake-quantized kernels the QAT model computes with
 * (exactly; folded BatchNorm: against the float fold), the int32 biases against the float bias
 * rounded on input scale * weight scale, and the graph's structure (op kinds, fusion, layouts,
 * requantizing ops, constants, shapes, execution order).
 */
import * as tf from '@tensorflow/tfjs';

import {type GraphOp, type GraphTensor, type IntGraph, lowerModel} from '../../src/export';
import {FakeQuant, type FakeQuantWeights, fakeQuantKernel, type QuantizeModelOptions} from '../../src/layers';
import {nudge, quantRange} from '../../src/quant/nudge';

import {quantizedModel} from './export_models';

type Layer = tf.layers.Layer;
const f32 = Math.fround;

/** `float` quantized and calibrated (weights seeded, export_models.ts). */
function quantized(float: tf.LayersModel, quantize: QuantizeModelOptions = {}, seed = 1): tf.LayersModel {
  return quantizedModel({build: () => float, quantize}, seed);
}

/** TF's nudged scale and zero point of a FakeQuant's range, the zero point moved to int8. */
function expectedParams(fq: FakeQuant): {scale: number, zeroPoint: number} {
  const {min, max} = fq.getRange();
  const range = quantRange(fq.numBits, fq.narrowRange);
  const n = nudge(min[0], max[0], range);
  const uint = range.quantMin - n.nudgedMin / n.scale;
  return {scale: n.scale, zeroPoint: Math.round(uint) + 127 - range.quantMax};
}

function layer<T extends Layer>(model: tf.LayersModel, name: string): T {
  const found = model.layers.find((l) => l.name === name);
  if (found == null) throw new Error(`no layer ${name} in ${model.layers.map((l) => l.name)}`);
  return found as T;
}

function opsOf(g: IntGraph, kind: GraphOp['kind']): GraphOp[] {
  return g.ops.filter((o) => o.kind === kind);
}

function tensorOf(g: IntGraph, id: number): GraphTensor {
  return g.tensors[id];
}

/** The fake-quantized kernel the QAT model computes with (the wrapper's own settings). */
function qatKernel(w: FakeQuantWeights, kernel: tf.Tensor, channelsLast: number): Float32Array {
  return tf.tidy(() => fakeQuantKernel(kernel.reshape([-1, channelsLast]), w.numBits, w.perChannel, w.narrowRange)
                            .dataSync() as Float32Array);
}

function kernelOf(w: FakeQuantWeights): tf.Tensor {
  return w.layer.weights.find((v) => /kernel$/.test(v.originalName))!.read();
}

function biasOf(w: FakeQuantWeights): Float32Array {
  return w.layer.weights.find((v) => /bias$/.test(v.originalName))!.read().dataSync() as Float32Array;
}

/** Reads the weights tensor of an op as real numbers in [rows, channels] order (the Layers one). */
function realKernel(t: GraphTensor, channelFirst: boolean): Float64Array {
  const q = t.data as Int8Array;
  const channels = channelFirst ? t.shape[0] : t.shape[t.shape.length - 1];
  const rows = q.length / channels;
  const out = new Float64Array(q.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++) {
      const v = channelFirst ? q[c * rows + r] : q[r * channels + c];
      out[r * channels + c] = v * t.quant!.scale[t.quant!.scale.length === 1 ? 0 : c];
    }
  }
  return out;
}

describe('lowerModel: activation parameters', () => {
  it('every int8 tensor after a FakeQuant has its nudged scale and zero point - 128', () => {
    const qat = quantized(tf.sequential({layers: [
      tf.layers.dense({inputShape: [5], units: 4, name: 'd1'}),
      tf.layers.dense({units: 3, activation: 'relu', name: 'd2'}),
    ]}));
    const g = lowerModel(qat, {inputType: 'int8', outputType: 'int8'});
    expect(g.ops.map((o) => o.kind)).toEqual(['fullyConnected', 'fullyConnected']);
    const expectTensor = (t: GraphTensor, fq: string) => {
      const p = expectedParams(layer<FakeQuant>(qat, fq));
      expect(t.dtype).toBe('int8');
      expect(t.quant).toEqual({scale: [p.scale], zeroPoint: [p.zeroPoint]});
    };
    expectTensor(tensorOf(g, g.inputs[0]), qat.layers.find((l) => l instanceof FakeQuant)!.name);
    expectTensor(tensorOf(g, g.ops[0].outputs[0]), 'd1_fq');
    expectTensor(tensorOf(g, g.outputs[0]), 'd2_fq');
    qat.dispose();
  });

  it('float32 I/O: QUANTIZE first and DEQUANTIZE last, float32 tensors without parameters', () => {
    const qat = quantized(tf.sequential({layers: [tf.layers.dense({inputShape: [5], units: 4})]}));
    const g = lowerModel(qat);
    expect(g.ops.map((o) => o.kind)).toEqual(['quantize', 'fullyConnected', 'dequantize']);
    for (const id of [g.inputs[0], g.outputs[0]]) {
      expect(tensorOf(g, id).dtype).toBe('float32');
      expect(tensorOf(g, id).quant).toBeUndefined();
    }
    qat.dispose();
  });

  it('4-bit activations: the 16 levels at the top of int8 (zero point + 112), 4-bit weights in [-7, 7]', () => {
    const qat = quantized(tf.sequential({layers: [tf.layers.dense({inputShape: [6], units: 5, name: 'd'})]}),
                          {activationBits: 4, weightBits: 4});
    const g = lowerModel(qat, {outputType: 'int8'});
    const out = tensorOf(g, g.outputs[0]);
    const fq = layer<FakeQuant>(qat, 'd_fq');
    const {min, max} = fq.getRange();
    const n = nudge(min[0], max[0], quantRange(4, false));
    expect(out.quant!.scale).toEqual([n.scale]);
    expect(out.quant!.zeroPoint).toEqual([Math.round(-n.nudgedMin / n.scale) + 112]);
    const weights = tensorOf(g, opsOf(g, 'fullyConnected')[0].inputs[1]).data as Int8Array;
    expect(Math.max(...Array.from(weights, Math.abs))).toBe(7);
    qat.dispose();
  });

  it('Softmax: TFLite\'s fixed output parameters 1/256 and -128', () => {
    const qat = quantized(tf.sequential({layers: [tf.layers.dense({inputShape: [4], units: 3}), tf.layers.softmax()]}));
    const g = lowerModel(qat, {outputType: 'int8'});
    const softmax = opsOf(g, 'softmax')[0];
    expect(tensorOf(g, softmax.outputs[0]).quant).toEqual({scale: [1 / 256], zeroPoint: [-128]});
    // quantizeModel's quantizer after Softmax has the fixed range [0, 255/256]: no requantize.
    expect(g.ops.map((o) => o.kind)).toEqual(['quantize', 'fullyConnected', 'softmax']);
    qat.dispose();
  });
});

describe('lowerModel: weights', () => {
  for (const perChannelWeights of [true, false]) {
    const kind = perChannelWeights ? 'per channel' : 'per tensor';
    it(`Dense, Conv2D, DepthwiseConv2D (${kind}): integers times scales are the QAT kernels, exactly`, () => {
      const qat = quantized(tf.sequential({layers: [
        tf.layers.conv2d({inputShape: [6, 6, 3], filters: 4, kernelSize: [3, 2], name: 'conv'}),
        tf.layers.depthwiseConv2d({kernelSize: 2, depthMultiplier: 2, name: 'dw'}),
        tf.layers.flatten(),
        tf.layers.dense({units: 3, name: 'fc'}),
      ]}), {perChannelWeights});
      const before = tf.memory().numTensors;
      const g = lowerModel(qat);
      expect(tf.memory().numTensors).toBe(before);
      const cases: Array<[GraphOp['kind'], string, number[], number]> = [
        ['conv2d', 'quant_conv', [4, 3, 2, 3], 0],
        ['depthwiseConv2d', 'quant_dw', [1, 2, 2, 8], 3],
        ['fullyConnected', 'quant_fc', [3, 3 * 4 * 8], 0],
      ];
      for (const [opKind, name, shape, axis] of cases) {
        const op = opsOf(g, opKind)[0];
        const w = tensorOf(g, op.inputs[1]);
        const wrapper = layer<FakeQuantWeights>(qat, name);
        expect(w.shape).toEqual(shape);
        expect(w.dtype).toBe('int8');
        expect(w.quant!.axis).toBe(perChannelWeights ? axis : undefined);
        expect(w.quant!.scale.length).toBe(perChannelWeights ? (axis === 0 ? shape[0] : shape[3]) : 1);
        expect(w.quant!.zeroPoint.every((z) => z === 0)).toBe(true);
        expect(Math.max(...Array.from(w.data as Int8Array, Math.abs))).toBe(127);
        const channels = axis === 0 ? shape[0] : shape[3];
        const expected = qatKernel(wrapper, kernelOf(wrapper), channels);
        const actual = realKernel(w, axis === 0).map(f32);
        expect(Array.from(actual)).toEqual(Array.from(expected));

        // int32 bias on inputScale * weightScale[c], rounded from the float bias.
        const b = tensorOf(g, op.inputs[2]);
        const inputScale = tensorOf(g, op.inputs[0]).quant!.scale[0];
        const floatBias = biasOf(wrapper);
        expect(b.dtype).toBe('int32');
        Array.from(b.data as Int32Array).forEach((q, c) => {
          const scale = f32(inputScale * w.quant!.scale[perChannelWeights ? c : 0]);
          expect(b.quant!.scale[perChannelWeights ? c : 0]).toBe(scale);
          expect(Math.abs(q - floatBias[c] / scale)).toBeLessThanOrEqual(0.5);
        });
      }
      qat.dispose();
    });
  }

  it('BatchNormalization folded: per channel exactly (signs flipped where gamma < 0), per-tensor conv becomes per channel', () => {
    for (const perChannelWeights of [true, false]) {
      const qat = quantized(tf.sequential({layers: [
        tf.layers.conv2d({inputShape: [5, 5, 2], filters: 6, kernelSize: 3, name: 'conv'}),
        tf.layers.batchNormalization({name: 'bn'}),
        tf.layers.reLU(),
      ]}), {perChannelWeights}, 3);
      const g = lowerModel(qat);
      expect(g.ops.map((o) => o.kind)).toEqual(['quantize', 'conv2d', 'dequantize']);
      const op = g.ops[1] as Extract<GraphOp, {kind: 'conv2d'}>;
      expect(op.activation).toBe('relu');
      const wrapper = layer<FakeQuantWeights>(qat, 'quant_conv');
      const bn = layer<Layer>(qat, 'bn');
      const [gamma, beta, mean, variance] = bn.getWeights().map((t) => t.dataSync());
      const epsilon = (bn.getConfig() as {epsilon: number}).epsilon;
      const factor = Array.from(gamma, (gm, c) => gm / Math.sqrt(variance[c] + epsilon));
      expect(factor.some((v) => v < 0)).toBe(true);
      const w = tensorOf(g, op.inputs[1]);
      expect(w.quant!.scale.length).toBe(6);
      expect(w.quant!.axis).toBe(0);
      const fq = qatKernel(wrapper, kernelOf(wrapper), 6);
      realKernel(w, true).forEach((v, i) => {
        const folded = fq[i] * factor[i % 6];
        expect(Math.abs(v - folded)).toBeLessThanOrEqual(1e-6 * Math.abs(folded) + 1e-12);
      });
      const b = tensorOf(g, op.inputs[2]);
      const floatBias = biasOf(wrapper);
      Array.from(b.data as Int32Array).forEach((q, c) => {
        const real = floatBias[c] * factor[c] + beta[c] - mean[c] * factor[c];
        expect(Math.abs(q * b.quant!.scale[c] - real)).toBeLessThanOrEqual(0.5 * b.quant!.scale[c] * (1 + 1e-6));
      });
      qat.dispose();
    }
  });

  it('Dense per tensor + BatchNormalization: stays per tensor, the folded kernel on one new grid', () => {
    const qat = quantized(tf.sequential({layers: [
      tf.layers.dense({inputShape: [6], units: 4, name: 'fc'}),
      tf.layers.batchNormalization({name: 'bn'}),
    ]}), {perChannelWeights: false}, 4);
    const g = lowerModel(qat);
    const op = opsOf(g, 'fullyConnected')[0];
    const w = tensorOf(g, op.inputs[1]);
    expect(w.quant!.scale.length).toBe(1);
    expect(w.quant!.axis).toBeUndefined();
    const wrapper = layer<FakeQuantWeights>(qat, 'quant_fc');
    const [gamma, , , variance] = layer<Layer>(qat, 'bn').getWeights().map((t) => t.dataSync());
    const fq = qatKernel(wrapper, kernelOf(wrapper), 4);
    const folded = Array.from(fq, (v, i) => v * gamma[i % 4] / Math.sqrt(variance[i % 4] + 1e-3));
    const scale = w.quant!.scale[0];
    expect(scale).toBeCloseTo(Math.max(...folded.map(Math.abs)) / 127, 6);
    // Each weight moves at most half a step of the new grid.
    realKernel(w, true).forEach((v, i) => expect(Math.abs(v - folded[i])).toBeLessThanOrEqual(0.5 * scale * (1 + 1e-5)));
    qat.dispose();
  });
});

describe('lowerModel: structure', () => {
  it('fusion, pooling, reshapes, padding, constants; every op reads earlier tensors', () => {
    const qat = quantized(tf.sequential({layers: [
      tf.layers.zeroPadding2d({inputShape: [6, 6, 2], padding: [[1, 2], [0, 1]]}),
      tf.layers.conv2d({filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu'}),
      tf.layers.maxPooling2d({poolSize: 2, strides: 1}),
      tf.layers.averagePooling2d({poolSize: [1, 2], strides: 1, name: 'avg_valid'}),
      tf.layers.averagePooling2d({poolSize: 2, strides: 2, padding: 'same', name: 'avg_last'}),
      tf.layers.dropout({rate: 0.5}),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.reshape({targetShape: [3, 1]}),
      tf.layers.flatten(),
    ]}));
    // A range of its own after the valid average pooling (calibration may give it its input's).
    layer<FakeQuant>(qat, 'avg_valid_fq').setRange(0, 0.5);
    // The last pooling keeps its input's parameters (its quantizer's range is the one before).
    layer<FakeQuant>(qat, 'avg_last_fq').setRange(0, 0.5);
    const g = lowerModel(qat, {batchSize: 2});
    expect(g.ops.map((o) => o.kind)).toEqual([
      'quantize', 'pad', 'conv2d', 'maxPool2d', 'depthwiseConv2d', 'depthwiseConv2d',
      'mean', 'reshape', 'reshape', 'dequantize',
    ]);
    const [, pad, conv, maxPool, avgValid, avgLast, mean, reshape] = g.ops;
    expect(Array.from(tensorOf(g, pad.inputs[1]).data!)).toEqual([0, 0, 1, 2, 0, 1, 0, 0]);
    expect(tensorOf(g, pad.outputs[0]).shape).toEqual([2, 9, 7, 2]);
    expect(conv).toMatchObject({strides: [2, 2], padding: 'same', dilations: [1, 1], activation: 'relu'});
    // Value-keeping ops keep the parameters.
    for (const op of [pad, maxPool]) {
      expect(tensorOf(g, op.outputs[0]).quant).toEqual(tensorOf(g, op.inputs[0]).quant);
    }
    // The valid one: a depthwise convolution by 1/2 (127 on the scale 1/254).
    const k = tensorOf(g, avgValid.inputs[1]);
    expect(k.shape).toEqual([1, 1, 2, 3]);
    expect(Array.from(k.data!)).toEqual(new Array(6).fill(127));
    expect(k.quant!.scale[0] * 127).toBeCloseTo(0.5, 7);
    expect(Array.from(tensorOf(g, avgValid.inputs[2]).data!)).toEqual([0, 0, 0]);
    // 'same' that pads nothing (2x2, stride 2, even size) is valid; equal scales: a tie-breaking
    // bias of one unit (ties up, as TF's rounding).
    expect(avgLast).toMatchObject({strides: [2, 2], padding: 'valid'});
    expect(tensorOf(g, avgLast.outputs[0]).quant).toEqual(tensorOf(g, avgLast.inputs[0]).quant);
    expect(Array.from(tensorOf(g, avgLast.inputs[2]).data!)).toEqual([1, 1, 1]);
    expect(Array.from(tensorOf(g, mean.inputs[1]).data!)).toEqual([1, 2]);
    expect(mean).toMatchObject({keepDims: false});
    expect(Array.from(tensorOf(g, reshape.inputs[1]).data!)).toEqual([2, 3, 1]);
    expect(tensorOf(g, g.outputs[0]).shape).toEqual([2, 3]);
    const known = new Set([...g.inputs, ...g.tensors.filter((t) => t.data != null).map((t) => t.id)]);
    for (const op of g.ops) {
      for (const i of op.inputs) expect(known.has(i)).toBe(true);
      op.outputs.forEach((o) => known.add(o));
    }
    expect(new Set(g.tensors.map((t) => t.name)).size).toBe(g.tensors.length);
    qat.dispose();
  });

  it('functional: Add -> ReLU fused; Concatenate inputs requantized to its output parameters', () => {
    const x = tf.input({shape: [4, 4, 2]});
    const a = tf.layers.conv2d({filters: 2, kernelSize: 1}).apply(x) as tf.SymbolicTensor;
    const b = tf.layers.conv2d({filters: 2, kernelSize: 1}).apply(x) as tf.SymbolicTensor;
    const sum = tf.layers.reLU().apply(tf.layers.add().apply([a, b])) as tf.SymbolicTensor;
    const joined = tf.layers.concatenate({axis: -1}).apply([sum, a]) as tf.SymbolicTensor;
    const qat = quantized(tf.model({inputs: x, outputs: joined}));
    const g = lowerModel(qat, {outputType: 'int8'});
    const add = opsOf(g, 'add')[0] as Extract<GraphOp, {kind: 'add'}>;
    expect(add.activation).toBe('relu');
    const concat = opsOf(g, 'concatenation')[0] as Extract<GraphOp, {kind: 'concatenation'}>;
    expect(concat.axis).toBe(3);
    const out = tensorOf(g, concat.outputs[0]).quant;
    for (const i of concat.inputs) expect(tensorOf(g, i).quant).toEqual(out);
    expect(opsOf(g, 'quantize').length).toBeGreaterThanOrEqual(2);  // the input, and a requantize
    qat.dispose();
  });

  it('batch size: the model\'s fixed one by default, 1 otherwise; another is an error', () => {
    const fixed = quantized(tf.sequential({layers: [tf.layers.dense({batchInputShape: [2, 3], units: 2})]}));
    expect(tensorOf(lowerModel(fixed), lowerModel(fixed).inputs[0]).shape).toEqual([2, 3]);
    expect(() => lowerModel(fixed, {batchSize: 3})).toThrow(/fixed batch size 2, the export 3/);
    fixed.dispose();
    const free = quantized(tf.sequential({layers: [tf.layers.dense({inputShape: [3], units: 2})]}));
    const g = lowerModel(free);
    expect(tensorOf(g, g.inputs[0]).shape).toEqual([1, 3]);
    expect(tensorOf(g, g.outputs[0]).shape).toEqual([1, 2]);
    free.dispose();
  });

  it('nested models are inlined, their layers named by path', () => {
    const base = tf.sequential({name: 'base', layers: [tf.layers.dense({inputShape: [3], units: 4, name: 'inner'})]});
    const x = tf.input({shape: [3]});
    const y = tf.layers.dense({units: 2, name: 'head'}).apply(base.apply(x)) as tf.SymbolicTensor;
    const qat = quantized(tf.model({inputs: x, outputs: y}));
    const g = lowerModel(qat);
    const fcs = opsOf(g, 'fullyConnected');
    expect(fcs.length).toBe(2);
    expect(fcs[0].layerName).toMatch(/^base[^/]*\/quant_inner$/);
    expect(fcs[1].layerName).toBe('quant_head');
    qat.dispose();
  });

  it('a nested model applied twice: two copies of its ops, the second path numbered', () => {
    const base = tf.sequential({name: 'base', layers: [tf.layers.dense({inputShape: [3], units: 3, name: 'inner'})]});
    const x1 = tf.input({shape: [3]});
    const x2 = tf.input({shape: [3]});
    const sum = tf.layers.add().apply([base.apply(x1), base.apply(x2)] as tf.SymbolicTensor[]) as tf.SymbolicTensor;
    const qat = quantized(tf.model({inputs: [x1, x2], outputs: sum}));
    const g = lowerModel(qat);
    expect(g.inputs.length).toBe(2);
    const fcs = opsOf(g, 'fullyConnected');
    expect(fcs.map((o) => o.layerName)).toEqual(['base_quantized/quant_inner', 'base_quantized_1/quant_inner']);
    // One set of weights, written for each application.
    expect(tensorOf(g, fcs[0].inputs[1]).data).toEqual(tensorOf(g, fcs[1].inputs[1]).data);
    qat.dispose();
  });
});
