/**
 * What TFLite fuses: the rules `quantizeModel` follows to leave the tensors inside a fused block
 * unquantized, and that the int8 exporter follows to emit one op per block. One module, so the
 * QAT model and the exported file agree on where the quantizers are.
 *
 * The rules are TF Model Optimization's default 8-bit scheme (`default_8bit_transforms.py` in
 * tensorflow/model-optimization), which mirrors what TFLite's converter fuses:
 * - kernel layer -> BatchNormalization: `Conv2DBatchNormQuantize` (Conv2D, DepthwiseConv2D) and
 *   `DenseBatchNormQuantize` (Dense), the kernel layer's activation linear. TFLite folds the
 *   normalization into the kernel and bias.
 * - kernel layer -> BatchNormalization -> ReLU: `Conv2DBatchNormReLUQuantize`,
 *   `Conv2DBatchNormActivationQuantize`, `DenseBatchNormReLUQuantize` (and its Activation
 *   variant). The ReLU becomes the op's fused activation.
 * - kernel layer or Add -> ReLU: `LayerReLUQuantize` and `LayerReluActivationQuantize`
 *   (`'ReLU'` / `Activation('relu')` after `Add|Conv2D|DepthwiseConv2D|Dense`).
 * - a layer's own `activation` relu / relu6: applied inside the layer, so never quantized apart;
 *   TFLite writes it as the op's `fused_activation_function`.
 * ReLU6 (`ReLU({maxValue: 6})`, `Activation('relu6')`) fuses wherever ReLU does, as TFLite's
 * RELU6 fused activation (MOT matches any `ReLU` config there). Conv1D is not fused: MOT's
 * patterns leave it out (TFLite runs it as a reshaped CONV_2D), so its output is quantized.
 *
 * Also here: `fixedOutputRange`, the outputs whose int8 parameters TFLite fixes (softmax,
 * sigmoid, tanh), which quantizeModel gives a fixed-range quantizer.
 */
import {type layers, Sequential} from '@tensorflow/tfjs-layers';
import type {LayersModel, SymbolicTensor} from '@tensorflow/tfjs-layers';

import {FakeQuantWeights} from './fake_quant_weights';
import {KERNEL_LAYERS, modelNodes} from './tfjs_layers_internals';

type Layer = InstanceType<typeof layers.Layer>;

/** The ReLU kinds TFLite fuses into an op as its `fused_activation_function`. */
export type ReluKind = 'relu'|'relu6';

/**
 * Kernel layers a BatchNormalization folds into and a ReLU fuses into (TFLite's conv / FC ops).
 * A SeparableConv2D counts: quantizeModel splits it into DepthwiseConv2D and a 1x1 Conv2D (MOT's
 * `SeparableConvQuantize`), and the Conv2D is the fused producer.
 */
export const FUSING_KERNEL_LAYERS: ReadonlySet<string> = new Set(['Dense', 'Conv2D', 'DepthwiseConv2D', 'SeparableConv2D']);

/** The layer that computes: the wrapped layer of a `FakeQuantWeights`, else the layer itself. */
export function unwrapLayer(layer: Layer): Layer {
  return layer instanceof FakeQuantWeights ? layer.layer : layer;
}

/** Class name of the computing layer (`Conv2D` for a FakeQuantWeights around a Conv2D). */
function className(layer: Layer): string {
  return unwrapLayer(layer).getClassName();
}

function activationConfig(layer: Layer): string|undefined {
  return (unwrapLayer(layer).getConfig() as {activation?: string}).activation;
}

/**
 * What the `activation` of a layer's own config applies, as TFLite sees it: `'linear'` (none,
 * or no such config), `'relu'` / `'relu6'` (fused into the op), or null for any other activation
 * (softmax, tanh, ...), which is an op of its own.
 */
export function ownActivation(layer: Layer): 'linear'|ReluKind|null {
  const activation = activationConfig(layer);
  if (activation == null || activation === 'linear') return 'linear';
  return activation === 'relu' || activation === 'relu6' ? activation : null;
}

/**
 * The ReLU kind a standalone activation layer applies: `ReLU` (no max, or max 6) or
 * `Activation('relu' | 'relu6')`; null for any other layer (a ReLU with another max is not a
 * TFLite fused activation).
 */
export function reluKind(layer: Layer): ReluKind|null {
  const name = className(layer);
  if (name === 'Activation') {
    const activation = activationConfig(layer);
    return activation === 'relu' || activation === 'relu6' ? activation : null;
  }
  if (name !== 'ReLU') return null;
  const maxValue = (layer.getConfig() as {maxValue?: number|null}).maxValue;
  return maxValue == null ? 'relu' : maxValue === 6 ? 'relu6' : null;
}

/** Whether the layer (or the layer a FakeQuantWeights wraps) is one of FUSING_KERNEL_LAYERS. */
export function isFusingKernelLayer(layer: Layer): boolean {
  return FUSING_KERNEL_LAYERS.has(className(layer));
}

/**
 * Whether TFLite fuses `consumer` into `producer`, the layer whose output it reads, so that the
 * tensor between them exists only in float inside one int8 op (and TF Model Optimization puts
 * no quantizer on it): a BatchNormalization after a kernel layer, or a ReLU / ReLU6 after a
 * kernel layer, a BatchNormalization or an Add, always with a producer whose own activation is
 * linear. Accepts the layers of a float model and of a quantized one (FakeQuantWeights are
 * seen through). A standalone BatchNormalization -> ReLU counts too: TFLite runs that
 * normalization as MUL + ADD with the ReLU fused into the ADD.
 */
export function fusesInto(producer: Layer, consumer: Layer): boolean {
  if (ownActivation(producer) !== 'linear') return false;
  const p = className(producer);
  if (className(consumer) === 'BatchNormalization') return FUSING_KERNEL_LAYERS.has(p);
  return reluKind(consumer) != null && (FUSING_KERNEL_LAYERS.has(p) || p === 'BatchNormalization' || p === 'Add');
}

/**
 * The layers of `model` (its own, not those of nested models) whose output goes only into one
 * layer fused with it (`fusesInto`) and not out of the model: their outputs get no quantizer.
 * In a functional model, a layer applied more than once, or with several outputs, is never fused.
 */
export function fusedProducers(model: LayersModel): Set<Layer> {
  const fused = new Set<Layer>();
  if (model instanceof Sequential) {
    model.layers.forEach((layer, i) => {
      const next = model.layers[i + 1];
      if (next != null && fusesInto(layer, next)) fused.add(layer);
    });
    return fused;
  }
  // Functional: the consumers of every tensor inside the model.
  const consumers = new Map<SymbolicTensor, Layer[]>();
  for (const layer of model.layers) {
    for (const node of modelNodes(model, layer)) {
      for (const x of node.inputTensors) consumers.set(x, [...(consumers.get(x) ?? []), layer]);
    }
  }
  for (const layer of model.layers) {
    const nodes = modelNodes(model, layer);
    if (nodes.length !== 1 || nodes[0].outputTensors.length !== 1) continue;
    const y = nodes[0].outputTensors[0];
    const users = consumers.get(y) ?? [];
    if (!model.outputs.includes(y) && users.length === 1 && fusesInto(layer, users[0])) fused.add(layer);
  }
  return fused;
}

/**
 * The activation a layer applies last, as one TFLite op: a `Softmax` or `ReLU` layer's, an
 * `Activation` layer's, or the `activation` config of a kernel layer (a recurrent layer's
 * activation is inside its cell: 'linear' here).
 */
function finalActivation(layer: Layer): string {
  const name = className(layer);
  if (name === 'Softmax') return 'softmax';
  if (name === 'ReLU') return 'relu';
  const appliesLast = name === 'Activation' || KERNEL_LAYERS.has(name) || name === 'SeparableConv2D';
  return (appliesLast ? activationConfig(layer) : undefined) ?? 'linear';
}

/**
 * The range of the quantizer after `layer` when TFLite fixes the int8 parameters of its output
 * (`quantization_spec.md`: SOFTMAX and LOGISTIC scale 1/256, zero point -128; TANH scale 1/128,
 * zero point 0), as a FakeQuant range at `numBits` whose nudge gives those parameters at 8 bits:
 * softmax and sigmoid [0, 1 - 2^-numBits], tanh [-1, 1 - 2^(1-numBits)]. Null for any other layer.
 */
export function fixedOutputRange(layer: Layer, numBits: number): [number, number]|null {
  switch (finalActivation(layer)) {
    case 'softmax':
    case 'sigmoid':
      return [0, 1 - 2 ** -numBits];
    case 'tanh':
      return [-1, 1 - 2 ** (1 - numBits)];
    default:
      return null;
  }
}
