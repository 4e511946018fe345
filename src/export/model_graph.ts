/**
 * A Layers model as a flat list of layer calls in execution order, nested models inlined: what
 * the lowering walks. Each tensor of the model (a SymbolicTensor, once per application of its
 * nested model) becomes a `ValueId`.
 */
import {LayersModel} from '@tensorflow/tfjs-layers';
import type {layers, SymbolicTensor} from '@tensorflow/tfjs-layers';

export type Layer = InstanceType<typeof layers.Layer>;
type LayerNode = Layer['inboundNodes'][number];

/** A tensor of the flattened model. */
export type ValueId = number;

export interface ModelValue {
  id: ValueId;
  /** Readable and unique: the producing layer's path (nested model names joined with '/'). */
  name: string;
  /** The Layers shape, batch dimension null or fixed. */
  shape: Array<number|null>;
}

/** One application of a (non-model) layer. */
export interface LayerCall {
  layer: Layer;
  /** The layer's path: its name, after the names of the nested models it sits in. */
  path: string;
  inputs: ValueId[];
  outputs: ValueId[];
}

export interface FlatModel {
  values: ModelValue[];
  /** In execution order: every input of a call is a model input or an earlier call's output. */
  calls: LayerCall[];
  /** The model's inputs, in order, and the names of their InputLayers. */
  inputs: Array<{value: ValueId, layerName: string}>;
  outputs: ValueId[];
  /** The calls that read each value. */
  consumers: Map<ValueId, LayerCall[]>;
}

/** Flattens `model` (Sequential or functional; nested models of either kind inlined). */
export function flattenModel(model: LayersModel): FlatModel {
  const flat: FlatModel = {values: [], calls: [], inputs: [], outputs: [], consumers: new Map()};
  const inputIds = model.inputs.map((x) => {
    const value = newValue(flat, x.sourceLayer.name, x.shape);
    flat.inputs.push({value, layerName: x.sourceLayer.name});
    return value;
  });
  flat.outputs = inlineModel(flat, model, inputIds, '');
  for (const call of flat.calls) {
    for (const x of call.inputs) flat.consumers.set(x, [...(flat.consumers.get(x) ?? []), call]);
  }
  return flat;
}

function newValue(flat: FlatModel, name: string, shape: Array<number|null>): ValueId {
  const id = flat.values.length;
  flat.values.push({id, name, shape});
  return id;
}

/**
 * Appends the calls of `model` applied to `inputs` (depth first from its outputs, so in an order
 * that respects data dependencies) and returns its output values. `prefix` is the path of the
 * model inside the exported one ('' at the top).
 */
function inlineModel(flat: FlatModel, model: LayersModel, inputs: ValueId[], prefix: string): ValueId[] {
  const ids = new Map<number, ValueId>();
  model.inputs.forEach((x, i) => ids.set(x.id, inputs[i]));
  const applications = new Map<LayersModel, number>();

  // Iterative post-order: a deep model must not overflow the stack.
  const valueOf = (target: SymbolicTensor): ValueId => {
    const stack: SymbolicTensor[] = [target];
    while (stack.length > 0) {
      const t = stack[stack.length - 1];
      if (ids.has(t.id)) {
        stack.pop();
        continue;
      }
      const layer = t.sourceLayer as Layer;
      const node = layer.inboundNodes[t.nodeIndex];
      if (layer.getClassName() === 'InputLayer' || node.inputTensors.length === 0) {
        throw new Error(
            `lowerModel: ${prefix}${layer.name}: the tensor ${t.name} is not computed from the model's inputs.`);
      }
      const missing = node.inputTensors.filter((x) => !ids.has(x.id));
      if (missing.length > 0) {
        stack.push(...missing);
        continue;
      }
      stack.pop();
      const outputs = applyNode(flat, layer, node, node.inputTensors.map((x) => ids.get(x.id)!), prefix, applications);
      node.outputTensors.forEach((y, k) => ids.set(y.id, outputs[k]));
    }
    return ids.get(target.id)!;
  };
  return model.outputs.map(valueOf);
}

/**
 * The output values of one node: a layer call appended to `flat.calls`, or a nested model's
 * calls (its n-th application inside this model named `<model>_<n>/...`).
 */
function applyNode(
    flat: FlatModel, layer: Layer, node: LayerNode, inputs: ValueId[], prefix: string,
    applications: Map<LayersModel, number>): ValueId[] {
  if (layer instanceof LayersModel) {
    const n = applications.get(layer) ?? 0;
    applications.set(layer, n + 1);
    return inlineModel(flat, layer, inputs, `${prefix}${layer.name}${n > 0 ? `_${n}` : ''}/`);
  }
  const path = `${prefix}${layer.name}`;
  const outputs = node.outputTensors.map((y, k) =>
      newValue(flat, node.outputTensors.length > 1 ? `${path}:${k}` : path, y.shape));
  flat.calls.push({layer, path, inputs, outputs});
  return outputs;
}
