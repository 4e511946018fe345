/**
 * The tfjs-layers internals the layers code relies on (src/layers/tfjs_layers_internals.ts): the
 * loaded 4.22 has them all, each missing member (simulated, or taken out of the loaded
 * tfjs-layers for the test) is an error naming it, the version found and the supported range,
 * and what the internals do matches tfjs-layers' own behaviour.
 */
import * as tf from '@tensorflow/tfjs';

import {FakeQuantWeights} from '../../src/layers';
import {findTfjsLayersInternals, modelNodes, SUPPORTED_TFJS_LAYERS, tfjsLayersInternalsProblem, type TfjsLayersInternals, withKernel} from '../../src/layers/tfjs_layers_internals';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pkg = require('../../package.json');

afterEach(() => {
  tf.disposeVariables();
});

/** The problem found with `change` applied to what the loaded tfjs-layers has. */
function problemWith(change: Partial<TfjsLayersInternals>): string|null {
  return tfjsLayersInternalsProblem({...findTfjsLayersInternals(), ...change});
}

/** The error names the member, the version found and the supported 4.22.x. */
function expectNames(problem: string|null, member: string, version: string): void {
  expect(problem).toContain(member);
  expect(problem).toContain(`@tensorflow/tfjs-layers ${version} does not have`);
  expect(problem).toContain('~4.22.0 (4.22.x)');
}

describe('the check of the tfjs-layers internals', () => {
  it('supports the tfjs-layers range of package.json', () => {
    expect(SUPPORTED_TFJS_LAYERS).toBe(pkg.peerDependencies['@tensorflow/tfjs-layers']);
  });

  it('finds every member in the loaded tfjs-layers 4.22, with no tensor and no generated name', () => {
    expect(tf.version_layers).toMatch(/^4\.22\./);
    const before = tf.memory().numTensors;
    const first = tf.layers.activation({activation: 'linear'}).name;
    const found = findTfjsLayersInternals();
    const next = tf.layers.activation({activation: 'linear'}).name;
    expect(tfjsLayersInternalsProblem(found)).toBeNull();
    expect(found.version).toBe(tf.version_layers);
    expect(tf.memory().numTensors).toBe(before);
    // tfjs numbers unnamed layers per class: the probe took no number.
    const number = (name: string) => Number(/(\d+)$/.exec(name)![1]);
    expect(number(next)).toBe(number(first) + 1);
  });

  it('names Layer.nodeKey when tfjs-layers has no such static method', () => {
    expectNames(problemWith({version: '4.23.0', nodeKey: undefined}), 'Layer.nodeKey', '4.23.0');
  });

  it('names containerNodes when models have none, or keys that are not Layer.nodeKey', () => {
    expectNames(problemWith({version: '4.23.0', model: {}}), 'LayersModel.containerNodes', '4.23.0');
    expectNames(problemWith({version: '5.0.0', nodeKey: () => 'key'}), 'LayersModel.containerNodes', '5.0.0');
  });

  it('names the kernel property of each kernel layer class that lacks it', () => {
    const properties = {
      Dense: 'kernel', Conv1D: 'kernel', Conv2D: 'kernel', DepthwiseConv2D: 'depthwiseKernel',
      Conv2DTranspose: 'kernel',
    };
    const {kernelLayers} = findTfjsLayersInternals();
    for (const [className, property] of Object.entries(properties)) {
      const problem = problemWith({version: '4.23.0', kernelLayers: {...kernelLayers, [className]: tf.layers.flatten()}});
      expectNames(problem, `${className}.${property}, the kernel variable its call reads`, '4.23.0');
    }
  });

  it('names Dense.kernel when the loaded tfjs-layers builds a Dense without it', () => {
    const entry = tf.serialization.SerializationMap.getMap().classNameMap['Dense'];
    const [cls, fromConfig] = entry;
    tf.serialization.SerializationMap.getMap().classNameMap['Dense'] = [cls, (c, config) => {
      const layer = fromConfig(c, config) as unknown as {kernel?: unknown, weightsOfKernel?: unknown};
      layer.weightsOfKernel = layer.kernel;  // a renamed member
      delete layer.kernel;
      return layer as unknown as tf.serialization.Serializable;
    }];
    try {
      expectNames(tfjsLayersInternalsProblem(findTfjsLayersInternals()), 'Dense.kernel', tf.version_layers);
    } finally {
      tf.serialization.SerializationMap.getMap().classNameMap['Dense'] = entry;
    }
  });
});

describe('what the internals do', () => {
  it('modelNodes: a layer applied in two models has one node in each', () => {
    const shared = tf.layers.activation({activation: 'relu', name: 'shared'});
    const a = tf.input({shape: [2], name: 'a'});
    const b = tf.input({shape: [2], name: 'b'});
    const modelA = tf.model({inputs: a, outputs: shared.apply(a) as tf.SymbolicTensor});
    const modelB = tf.model({inputs: b, outputs: shared.apply(b) as tf.SymbolicTensor});
    // Node 0 came from applying it to a, node 1 to b.
    expect(shared.inboundNodes.map((n) => n.inputTensors[0] === a ? 'a' : 'b')).toEqual(['a', 'b']);
    const nodesOf = (model: tf.LayersModel) => modelNodes(model, shared).map((n) => shared.inboundNodes.indexOf(n));
    expect(nodesOf(modelA)).toEqual([0]);
    expect(nodesOf(modelB)).toEqual([1]);
  });

  it('withKernel: the layer computes with the given kernel and gets its own back, also after a throw', () => {
    const dense = tf.layers.dense({units: 2, useBias: false, kernelInitializer: 'ones'});
    const x = tf.tensor2d([[1, 2]]);
    dense.apply(x);
    const kernel = tf.tensor2d([[1, 0], [0, -1]]);
    const before = tf.memory().numTensors;
    const y = withKernel(dense, kernel, () => dense.call(x, {}) as tf.Tensor);
    expect(Array.from(y.dataSync())).toEqual([1, -2]);  // x . kernel
    expect(() => withKernel(dense, kernel, () => {
      throw new Error('in call');
    })).toThrow('in call');
    const ownY = dense.call(x, {}) as tf.Tensor;
    expect(Array.from(ownY.dataSync())).toEqual([3, 3]);  // x . ones
    tf.dispose([y, ownY]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, kernel]);
  });

  it('FakeQuantWeights passes the fast weight init of model loading on, as tfjs does for a Dense', () => {
    const x = tf.input({shape: [3]});
    const ownKernel = (fast: boolean) => {
      const dense = tf.layers.dense({units: 2, kernelInitializer: 'ones'});
      dense.setFastWeightInitDuringBuild(fast);
      dense.apply(x);
      return Array.from(dense.getWeights()[0].dataSync());
    };
    const wrappedKernel = (fast: boolean) => {
      const wrapper = new FakeQuantWeights({layer: tf.layers.dense({units: 2, kernelInitializer: 'ones'})});
      wrapper.setFastWeightInitDuringBuild(fast);
      wrapper.apply(x);
      return Array.from(wrapper.getWeights()[0].dataSync());
    };
    for (const fast of [true, false]) expect(wrappedKernel(fast)).toEqual(ownKernel(fast));
    expect(ownKernel(true)).toEqual([0, 0, 0, 0, 0, 0]);  // fast: zeros, the initializer skipped
  });
});
