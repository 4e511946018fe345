/**
 * FakeQuantWeights (src/layers/fake_quant_weights.ts) and the tfjs-layers internals probe
 * (src/layers/tfjs_layers_internals.ts): what Stryker's surviving mutants showed no test pinned
 * (issue 17). The wrapper's arguments and their messages, TF's two's-complement kernel range
 * (narrowRange: false), `trainable`, wrapping a built layer, a direct `build`, the unbuilt wrapper,
 * improper saved configs; the probe's names, an unregistered class, and the check (its whole
 * message, run once). Expected values are written out (TF Model Optimization's formulas) or come
 * from the float32 reference (test/shared/reference.ts, which imports nothing from src/).
 */
import * as tf from '@tensorflow/tfjs';

import {FakeQuantWeights, type FakeQuantWeightsArgs} from '../../src/layers';
import {findTfjsLayersInternals, tfjsLayersInternalsProblem} from '../../src/layers/tfjs_layers_internals';
import {refFakeQuantPerChannel, refFakeQuantVars} from '../shared/reference';
import {expectThrowsNoLeak} from './jest_util';

afterEach(() => {
  tf.disposeVariables();
});

/** A Dense kernel [2 inputs, 3 output channels]: columns {1, -2}, {-0.5, 0.25}, {2, -1}. */
const KERNEL = [1, -0.5, 2, -2, 0.25, -1];
const BIAS = [0.5, -0.25, 0];

/** A Dense 2 -> 3 with KERNEL and BIAS, built. */
function builtDense(name?: string): tf.layers.Layer {
  const dense = tf.layers.dense({units: 3, name});
  dense.build([null, 2]);
  dense.setWeights([tf.tensor2d(KERNEL, [2, 3]), tf.tensor1d(BIAS)]);
  return dense;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(tolerance);
}

/** x [n, 2] times a [2, 3] kernel plus BIAS. */
function denseJs(x: number[][], kernel: ArrayLike<number>): number[] {
  return x.flatMap((row) => [0, 1, 2].map((o) => row[0] * kernel[o] + row[1] * kernel[3 + o] + BIAS[o]));
}

describe('FakeQuantWeights arguments', () => {
  it('refuses missing arguments and anything but a tfjs layer, naming args.layer', () => {
    const notALayer = {getClassName: () => 'Dense', name: 'dense_lookalike'};
    for (const args of [undefined, {}, {layer: null}, {layer: notALayer}]) {
      expectThrowsNoLeak(
          () => new FakeQuantWeights(args as unknown as FakeQuantWeightsArgs),
          /^FakeQuantWeights: args\.layer must be a tfjs layer\.$/);
    }
  });

  it('names itself and the argument for a bad numBits or narrowRange, and the fix for Conv2DTranspose', () => {
    const dense = () => tf.layers.dense({units: 1});
    expectThrowsNoLeak(
        () => new FakeQuantWeights({layer: dense(), numBits: 17}),
        /^FakeQuantWeights: numBits must be an integer in 2\.\.16, got 17\.$/);
    expectThrowsNoLeak(
        () => new FakeQuantWeights({layer: dense(), narrowRange: 'yes' as unknown as boolean}),
        /^FakeQuantWeights: narrowRange must be a boolean, got "yes"\.$/);
    expectThrowsNoLeak(
        () => new FakeQuantWeights({layer: tf.layers.conv2dTranspose({filters: 1, kernelSize: 1}), perChannel: true}),
        /^FakeQuantWeights: Conv2DTranspose kernels are quantized per tensor \(perChannel: false\), as TF Model Optimization does\.$/);
  });

  it('defaults to 8 bits, narrow range [-max |w|, max |w|] per output channel', () => {
    const wrapper = new FakeQuantWeights({layer: builtDense()});
    expect([wrapper.numBits, wrapper.perChannel, wrapper.narrowRange]).toEqual([8, true, true]);
    expect(wrapper.getConfig()).toMatchObject({numBits: 8, perChannel: true, narrowRange: true});
    expect(wrapper.getKernelRange()).toEqual({min: [-2, -0.5, -2], max: [2, 0.5, 2]});
    const before = tf.memory().numTensors;
    const quantized = wrapper.quantizedKernel();
    expectClose(quantized.dataSync(), refFakeQuantPerChannel(KERNEL, [-2, -0.5, -2], [2, 0.5, 2], 8, true));
    quantized.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('narrowRange: false (TF Model Optimization LastValueQuantize, symmetric, two\'s complement)', () => {
  // range = [min(wMin, wMax / r), max(wMax, wMin * r)], r = -(2^b - 2) / 2^b, wMin <= 0 <= wMax.
  it('per channel at 8 bits: the range, the kernel and the output the layer computes with', () => {
    const wrapper = new FakeQuantWeights({layer: builtDense(), narrowRange: false});
    // Channel 0 {1, -2} and 1 {-0.5, 0.25}: wMin * r sets the max; channel 2 {2, -1}: wMax / r the min.
    const min = [-2, -0.5, -2 * 256 / 254];
    const max = [2 * 254 / 256, 0.5 * 254 / 256, 2];
    const range = wrapper.getKernelRange();
    expectClose(range.min, min);
    expectClose(range.max, max);
    const x = [[1, 2], [-0.5, 3]];
    const xs = tf.tensor2d(x);
    const before = tf.memory().numTensors;
    const quantized = wrapper.quantizedKernel();
    const want = refFakeQuantPerChannel(KERNEL, min, max, 8, false);
    expectClose(quantized.dataSync(), want);
    const y = wrapper.apply(xs) as tf.Tensor;
    expectClose(y.dataSync(), denseJs(x, want), 1e-5);
    tf.dispose([quantized, y]);
    expect(tf.memory().numTensors).toBe(before);
    xs.dispose();
  });

  it('per tensor at 4 bits', () => {
    const wrapper = new FakeQuantWeights({layer: builtDense(), numBits: 4, perChannel: false, narrowRange: false});
    // The whole kernel: wMin = -2, wMax = 2, r = -14 / 16.
    const min = -2 * 16 / 14;
    const range = wrapper.getKernelRange();
    expectClose(range.min, [min]);
    expectClose(range.max, [2]);
    expectClose(wrapper.quantizedKernel().dataSync(), refFakeQuantVars(KERNEL, min, 2, 4, false));
  });
});

describe('FakeQuantWeights.trainable is the wrapped layer\'s', () => {
  async function fitOnce(model: tf.LayersModel): Promise<void> {
    model.compile({optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError'});
    await model.fit(tf.tensor2d([[1, 2]]), tf.tensor2d([[5, 5, 5]]), {epochs: 1, verbose: 0});
  }

  it('set on the wrapper freezes the kernel and bias; the config and a reload keep it', async () => {
    const dense = builtDense();
    const wrapper = new FakeQuantWeights({layer: dense});
    expect(wrapper.trainable).toBe(true);
    wrapper.trainable = false;
    expect(dense.trainable).toBe(false);
    expect(wrapper.trainable).toBe(false);
    expect(wrapper.trainableWeights).toEqual([]);
    expect(wrapper.nonTrainableWeights.length).toBe(2);
    expect(wrapper.getConfig()['trainable']).toBe(false);
    const reloaded = FakeQuantWeights.fromConfig(FakeQuantWeights, wrapper.getConfig()) as FakeQuantWeights;
    expect([reloaded.trainable, reloaded.layer.trainable]).toEqual([false, false]);

    // Another trainable layer after it: tfjs refuses to fit a model with nothing to train.
    const model = tf.sequential({layers: [tf.layers.inputLayer({inputShape: [2]}), wrapper, tf.layers.dense({units: 3})]});
    await fitOnce(model);
    expect(Array.from(dense.getWeights()[0].dataSync())).toEqual(KERNEL);
    wrapper.trainable = true;
    expect(dense.trainable).toBe(true);
    await fitOnce(model);
    expect(Array.from(dense.getWeights()[0].dataSync())).not.toEqual(KERNEL);
  });

  it('the trainable argument freezes the wrapped layer, as for any tfjs layer', () => {
    const wrapper = new FakeQuantWeights({layer: builtDense(), trainable: false});
    expect(wrapper.trainable).toBe(false);
    expect(wrapper.layer.trainable).toBe(false);
    expect(wrapper.trainableWeights).toEqual([]);
  });
});

describe('building', () => {
  it('a built layer keeps its weights: the wrapper computes with them', () => {
    const dense = builtDense();
    const [kernel, bias] = dense.weights;
    const wrapper = new FakeQuantWeights({layer: dense});
    const x = [[1, 2], [-0.5, 3]];
    const xs = tf.tensor2d(x);
    const y = wrapper.apply(xs) as tf.Tensor;
    expect(wrapper.weights).toEqual([kernel, bias]);
    const quantized = refFakeQuantPerChannel(KERNEL, [-2, -0.5, -2], [2, 0.5, 2], 8, true);
    expectClose(y.dataSync(), denseJs(x, quantized), 1e-5);
    tf.dispose([xs, y]);
  });

  it('a built Conv1D (whose build would add its weights again) keeps them too', () => {
    // Kernel [2 taps, 1 input, 2 filters]: channel 0 {1, 0.3}, channel 1 {-0.5, 0.2}.
    const kernel = [1, -0.5, 0.3, 0.2];
    const bias = [0.1, -0.1];
    const conv = tf.layers.conv1d({filters: 2, kernelSize: 2});
    conv.build([null, 3, 1]);
    conv.setWeights([tf.tensor3d(kernel, [2, 1, 2]), tf.tensor1d(bias)]);
    const wrapper = new FakeQuantWeights({layer: conv});
    const x = [1, 2, -1];
    const xs = tf.tensor3d(x, [1, 3, 1]);
    const y = wrapper.apply(xs) as tf.Tensor;
    expect(wrapper.weights).toEqual(conv.weights);
    expect(wrapper.weights.length).toBe(2);
    const k = refFakeQuantPerChannel(kernel, [-1, -0.5], [1, 0.5], 8, true);
    const want = [0, 1].flatMap((t) => [0, 1].map((c) => x[t] * k[c] + x[t + 1] * k[2 + c] + bias[c]));
    expectClose(y.dataSync(), want, 1e-6);
    tf.dispose([xs, y]);
  });

  it('build() builds the wrapped layer and the wrapper, as tfjs layers do', () => {
    const wrapper = new FakeQuantWeights({layer: tf.layers.dense({units: 3, kernelInitializer: 'ones'})});
    wrapper.build([null, 2]);
    expect([wrapper.built, wrapper.layer.built]).toEqual([true, true]);
    expect(wrapper.weights.map((w) => w.shape)).toEqual([[2, 3], [3]]);
  });

  it('an unbuilt wrapper has no kernel yet: reading it says so, naming the wrapper and the fix', () => {
    const wrapper = new FakeQuantWeights({layer: tf.layers.dense({units: 3}), name: 'fqw_unbuilt'});
    const message = /^FakeQuantWeights fqw_unbuilt: the wrapped layer is not built yet \(apply the wrapper or build its model first\)\.$/;
    expectThrowsNoLeak(() => wrapper.kernelVariable(), message);
    expectThrowsNoLeak(() => wrapper.quantizedKernel(), message);
    expectThrowsNoLeak(() => wrapper.getKernelRange(), message);
  });
});

describe('FakeQuantWeights.fromConfig refuses an improper saved layer', () => {
  const dense = {className: 'Dense', config: {units: 2, name: 'saved_dense'}};

  it('reloads a proper one', () => {
    const wrapper = FakeQuantWeights.fromConfig(FakeQuantWeights, {layer: dense, numBits: 5}) as FakeQuantWeights;
    expect([wrapper.layer.getClassName(), wrapper.layer.name, wrapper.numBits]).toEqual(['Dense', 'saved_dense', 5]);
  });

  it('a missing or malformed {className, config}', () => {
    const improper: unknown[] = [
      undefined, null, {config: dense.config}, {className: 7, config: dense.config}, {className: 'Dense'},
      {className: 'Dense', config: null}, {className: 'Dense', config: 'units: 2'},
    ];
    for (const layer of improper) {
      const config = {layer, numBits: 8} as unknown as tf.serialization.ConfigDict;
      expectThrowsNoLeak(
          () => FakeQuantWeights.fromConfig(FakeQuantWeights, config),
          new RegExp(`^FakeQuantWeights: improper layer config ${escape(JSON.stringify(layer))}\\.$`));
    }
  });

  it('a class that is not registered', () => {
    const config = {layer: {className: 'NoSuchDense', config: {units: 2}}} as unknown as tf.serialization.ConfigDict;
    expectThrowsNoLeak(
        () => FakeQuantWeights.fromConfig(FakeQuantWeights, config),
        /^FakeQuantWeights: unknown layer class NoSuchDense \(not registered\)\.$/);
  });
});

function escape(text: string|undefined): string {
  return String(text).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('the tfjs-layers internals probe', () => {
  it('takes no generated name of any kernel layer class', () => {
    const unnamed: {[className: string]: () => tf.layers.Layer} = {
      Dense: () => tf.layers.dense({units: 1}),
      Conv1D: () => tf.layers.conv1d({filters: 1, kernelSize: 1}),
      Conv2D: () => tf.layers.conv2d({filters: 1, kernelSize: 1}),
      DepthwiseConv2D: () => tf.layers.depthwiseConv2d({kernelSize: 1}),
      Conv2DTranspose: () => tf.layers.conv2dTranspose({filters: 1, kernelSize: 1}),
    };
    const number = (name: string) => Number(/(\d+)$/.exec(name)![1]);
    const first = Object.values(unnamed).map((make) => number(make().name));
    findTfjsLayersInternals();
    const next = Object.values(unnamed).map((make) => number(make().name));
    expect(next).toEqual(first.map((n) => n + 1));
  });

  it('names containerNodes for a model that is not there', () => {
    const problem = tfjsLayersInternalsProblem({...findTfjsLayersInternals(), version: '5.0.0', model: null});
    expect(problem).toContain('needs LayersModel.containerNodes, a Set of the Layer.nodeKey of the nodes of the model');
  });

  it('names the kernel of a kernel layer class the loaded tfjs-layers does not register', () => {
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    const entry = map['Conv1D'];
    delete map['Conv1D'];
    try {
      expect(tfjsLayersInternalsProblem(findTfjsLayersInternals())).toContain(
          `needs Conv1D.kernel, the kernel variable its call reads, which the loaded @tensorflow/tfjs-layers ${tf.version_layers} does not have`);
    } finally {
      map['Conv1D'] = entry;
    }
  });
});

describe('assertTfjsLayersInternals, on a fresh load of the module', () => {
  /** A fresh copy of the module (its check not run yet), on the loaded tfjs. */
  function freshInternals(): typeof import('../../src/layers/tfjs_layers_internals') {
    // The loaded tfjs-core and tfjs-layers, not second copies (with their own class registry).
    const core = require('@tensorflow/tfjs-core');
    const tfLayers = require('@tensorflow/tfjs-layers');
    let fresh: typeof import('../../src/layers/tfjs_layers_internals') | undefined;
    jest.isolateModules(() => {
      jest.doMock('@tensorflow/tfjs-core', () => core);
      jest.doMock('@tensorflow/tfjs-layers', () => tfLayers);
      fresh = require('../../src/layers/tfjs_layers_internals');
    });
    jest.dontMock('@tensorflow/tfjs-core');
    jest.dontMock('@tensorflow/tfjs-layers');
    return fresh!;
  }

  /** Runs `fn` with the loaded tfjs-layers building a Dense without its `kernel` member. */
  function withDenseKernelRenamed<T>(fn: () => T): T {
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    const entry = map['Dense'];
    const [cls, fromConfig] = entry;
    map['Dense'] = [cls, (c, config) => {
      const layer = fromConfig(c, config) as unknown as {kernel?: unknown, weightsOfKernel?: unknown};
      layer.weightsOfKernel = layer.kernel;
      delete layer.kernel;
      return layer as unknown as tf.serialization.Serializable;
    }];
    try {
      return fn();
    } finally {
      map['Dense'] = entry;
    }
  }

  it('throws the problem, probes again until it passes, then not again', () => {
    const {assertTfjsLayersInternals} = freshInternals();
    withDenseKernelRenamed(() => {
      const error = expectThrowsNoLeak(() => assertTfjsLayersInternals());
      expect(error.message).toBe(
          'tfjs-fake-quant/layers needs Dense.kernel, the kernel variable its call reads, which the loaded ' +
          `@tensorflow/tfjs-layers ${tf.version_layers} does not have: it relies on tfjs-layers internals, known ` +
          'for ~4.22.0 (4.22.x). Install @tensorflow/tfjs-layers (or @tensorflow/tfjs) 4.22, and check that ' +
          '`npm ls @tensorflow/tfjs-layers` lists a single copy.');
    });
    expect(() => assertTfjsLayersInternals()).not.toThrow();
    // Checked once: a later change of tfjs-layers (here simulated) is not probed again.
    withDenseKernelRenamed(() => expect(() => assertTfjsLayersInternals()).not.toThrow());
  });
});
