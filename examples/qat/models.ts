/**
 * The demo's float models, with seeded initial weights: an MLP on the flat 784 pixels and a small
 * conv net on 28x28x1 images, both ending in 10 logits.
 */
import * as tf from '@tensorflow/tfjs';

import {IMAGE_SIZE, NUM_CLASSES, PIXELS} from './data';

export type ModelKind = 'mlp'|'cnn';
export const MODEL_KINDS: readonly ModelKind[] = ['mlp', 'cnn'];

/** The shape of one input sample of a model kind (without the batch dimension). */
export function inputShape(kind: ModelKind): number[] {
  return kind === 'mlp' ? [PIXELS] : [IMAGE_SIZE, IMAGE_SIZE, 1];
}

/** Seeded He-normal initializers, a different seed per layer. */
function initializers(seed: number): (layer: number) => ReturnType<typeof tf.initializers.heNormal> {
  return (layer) => tf.initializers.heNormal({seed: seed * 100 + layer});
}

/** 784 -> hidden, ReLU -> 10 logits. */
function createMlp(seed: number, hidden: number): tf.Sequential {
  const init = initializers(seed);
  return tf.sequential({
    name: 'mnist_mlp',
    layers: [
      tf.layers.dense({
        inputShape: [PIXELS], units: hidden, activation: 'relu', kernelInitializer: init(1), name: 'hidden',
      }),
      tf.layers.dense({units: NUM_CLASSES, kernelInitializer: init(2), name: 'logits'}),
    ],
  });
}

/**
 * The BatchNorm moving averages' momentum: 0.9 (not Keras's 0.99) follows the statistics closely
 * enough within the few hundred steps of a demo run, so the test accuracy is not that of stale
 * statistics.
 */
const BN_MOMENTUM = 0.9;

/**
 * A small conv net with the blocks TFLite fuses: conv 3x3 stride 2 -> BatchNorm -> ReLU, max pool,
 * depthwise 3x3 -> BatchNorm -> ReLU, pointwise conv 1x1 with ReLU, then a dense hidden layer and
 * the logits. Kernels before a BatchNorm have no bias (the BatchNorm's beta is one).
 * 28x28x1 -> 14x14x8 -> 7x7x8 -> 7x7x16 -> hidden -> 10. Small feature maps early keep training
 * on the cpu backend fast (its filter gradients loop over every output pixel).
 */
function createCnn(seed: number, hidden: number): tf.Sequential {
  const init = initializers(seed);
  return tf.sequential({
    name: 'mnist_cnn',
    layers: [
      tf.layers.conv2d({
        inputShape: inputShape('cnn'), filters: 8, kernelSize: 3, strides: 2, padding: 'same',
        useBias: false, kernelInitializer: init(1), name: 'conv',
      }),
      tf.layers.batchNormalization({momentum: BN_MOMENTUM, name: 'conv_bn'}),
      tf.layers.reLU({name: 'conv_relu'}),
      tf.layers.maxPooling2d({poolSize: 2, name: 'pool'}),
      tf.layers.depthwiseConv2d({
        kernelSize: 3, padding: 'same', useBias: false, depthwiseInitializer: init(2), name: 'depthwise',
      }),
      tf.layers.batchNormalization({momentum: BN_MOMENTUM, name: 'depthwise_bn'}),
      tf.layers.reLU({name: 'depthwise_relu'}),
      tf.layers.conv2d({
        filters: 16, kernelSize: 1, activation: 'relu', kernelInitializer: init(3), name: 'pointwise',
      }),
      tf.layers.flatten({name: 'flatten'}),
      tf.layers.dense({units: hidden, activation: 'relu', kernelInitializer: init(4), name: 'hidden'}),
      tf.layers.dense({units: NUM_CLASSES, kernelInitializer: init(5), name: 'logits'}),
    ],
  });
}

/** Units of the dense hidden layer unless told otherwise. */
export const DEFAULT_HIDDEN: Readonly<Record<ModelKind, number>> = {mlp: 128, cnn: 64};

/** The float model of a kind; `hidden`: units of its dense hidden layer. */
export function createModel(kind: ModelKind, seed: number, hidden = DEFAULT_HIDDEN[kind]): tf.Sequential {
  return kind === 'mlp' ? createMlp(seed, hidden) : createCnn(seed, hidden);
}

/** float32 bytes of all a model's weights (trainable or not, BatchNorm statistics included). */
export function floatWeightBytes(model: tf.LayersModel): number {
  return 4 * model.weights.reduce((sum, w) => sum + tf.util.sizeFromShape(w.shape as number[]), 0);
}
