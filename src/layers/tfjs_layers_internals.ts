/**
 * The tfjs-layers internals the layers code relies on, in one place, checked once against the
 * loaded tfjs-layers. They are private or protected members, outside tfjs-layers' public types,
 * so a release can change them without a type error: the check turns that into one error that
 * names the member, instead of a model quantized wrongly.
 *
 * - `Layer.nodeKey` (protected static) and a model's `containerNodes`: which inbound nodes of a
 *   layer belong to a given model (a layer applied in several models has nodes in each).
 * - The kernel variable of a kernel layer (`kernel`, DepthwiseConv2D's `depthwiseKernel`: private
 *   or protected), which its `call` reads: `FakeQuantWeights` swaps it for the quantized kernel
 *   during the call, as TF Model Optimization's QuantizeWrapper sets the layer's attribute.
 *
 * The probe builds a one-layer functional model and unbuilt kernel layers, all named (no
 * generated name is used up), and creates no tensor: it needs no backend.
 */
import type {Tensor} from '@tensorflow/tfjs-core';
import {serialization} from '@tensorflow/tfjs-core';
import {input, layers, type LayersModel, type LayerVariable, model as functionalModel, version_layers} from '@tensorflow/tfjs-layers';

type Layer = InstanceType<typeof layers.Layer>;
type LayerNode = Layer['inboundNodes'][number];

/** The tfjs-layers releases whose internals this module knows (package.json peerDependencies). */
export const SUPPORTED_TFJS_LAYERS = '~4.22.0';

/** The property holding the kernel variable of each kernel layer class, as its `call` reads it. */
const KERNEL_PROPERTIES: {[className: string]: string} = {
  Dense: 'kernel',
  Conv1D: 'kernel',
  Conv2D: 'kernel',
  DepthwiseConv2D: 'depthwiseKernel',
  Conv2DTranspose: 'kernel',
};

/** The layer classes whose kernel `FakeQuantWeights` can swap (class names). */
export const KERNEL_LAYERS: ReadonlySet<string> = new Set(Object.keys(KERNEL_PROPERTIES));

/** What the check found in a tfjs-layers: the members it needs, on probe objects. */
export interface TfjsLayersInternals {
  version: string;
  /** `Layer.nodeKey`: a layer's node as a key of `containerNodes`. */
  nodeKey: unknown;
  /** A functional model applying `layer` once (node 0). */
  model: unknown;
  layer: unknown;
  /** A fresh (unbuilt) layer of each kernel class, by class name. */
  kernelLayers: {[className: string]: unknown};
}

/** Reads the members the layers code needs from the loaded tfjs-layers. */
export function findTfjsLayersInternals(): TfjsLayersInternals {
  const prefix = 'tfjs_fake_quant_probe';
  const x = input({shape: [1], name: `${prefix}_input`});
  const layer = layers.activation({activation: 'linear', name: `${prefix}_activation`});
  const model = functionalModel({inputs: x, outputs: layer.apply(x) as typeof x, name: `${prefix}_model`});
  const classes = serialization.SerializationMap.getMap().classNameMap;
  // A class this tfjs-layers does not register is left out: reported as lacking its kernel.
  const registered = [...KERNEL_LAYERS].filter((className) => classes[className] != null);
  const kernelLayers = Object.fromEntries(registered.map((className) => {
    const [cls, fromConfig] = classes[className];
    const config = {name: `${prefix}_${className}`, units: 1, filters: 1, kernelSize: 1};
    return [className, fromConfig(cls, config)];
  }));
  return {version: version_layers, nodeKey: (layers.Layer as unknown as {nodeKey?: unknown}).nodeKey, model, layer, kernelLayers};
}

/** The member missing from `found`, as an error message, or null when all are there. */
export function tfjsLayersInternalsProblem(found: TfjsLayersInternals): string|null {
  const missing = missingMember(found);
  if (missing == null) return null;
  return `tfjs-fake-quant/layers needs ${missing}, which the loaded @tensorflow/tfjs-layers ` +
      `${found.version} does not have: it relies on tfjs-layers internals, known for ` +
      `${SUPPORTED_TFJS_LAYERS} (4.22.x). Install @tensorflow/tfjs-layers (or @tensorflow/tfjs) ` +
      '4.22, and check that `npm ls @tensorflow/tfjs-layers` lists a single copy.';
}

function missingMember(found: TfjsLayersInternals): string|null {
  if (typeof found.nodeKey !== 'function') return 'the static method Layer.nodeKey (layer, nodeIndex)';
  const nodes = (found.model as {containerNodes?: unknown}|null)?.containerNodes;
  const key = (found.nodeKey as (layer: unknown, nodeIndex: number) => unknown)(found.layer, 0);
  if (!(nodes instanceof Set) || !nodes.has(key)) {
    return 'LayersModel.containerNodes, a Set of the Layer.nodeKey of the nodes of the model';
  }
  for (const [className, property] of Object.entries(KERNEL_PROPERTIES)) {
    const layer = found.kernelLayers[className];
    if (layer == null || !Object.prototype.hasOwnProperty.call(layer, property)) {
      return `${className}.${property}, the kernel variable its call reads`;
    }
  }
  return null;
}

let checked = false;

/** Throws the problem with the loaded tfjs-layers, if any; probes it once. */
export function assertTfjsLayersInternals(): void {
  if (checked) return;
  const problem = tfjsLayersInternalsProblem(findTfjsLayersInternals());
  if (problem != null) throw new Error(problem);
  checked = true;
}

/** The nodes of `layer` that belong to `model` (a layer may also be applied in other models). */
export function modelNodes(model: LayersModel, layer: Layer): LayerNode[] {
  assertTfjsLayersInternals();
  const nodeKey = (layers.Layer as unknown as {nodeKey(layer: Layer, nodeIndex: number): string}).nodeKey;
  return layer.inboundNodes.filter((_, index) => model.containerNodes.has(nodeKey(layer, index)));
}

/** The kernel variable of a kernel layer (`KERNEL_LAYERS`), null until the layer is built. */
export function kernelVariable(layer: Layer): LayerVariable|null {
  return (layer as unknown as {[property: string]: LayerVariable|null})[kernelProperty(layer)];
}

/**
 * Runs `call` with the kernel layer reading `kernel` as its kernel (its `call` reads
 * `this.kernel.read()`), then puts its own kernel variable back.
 */
export function withKernel<T>(layer: Layer, kernel: Tensor, call: () => T): T {
  const holder = layer as unknown as {[property: string]: {read(): Tensor}};
  const property = kernelProperty(layer);
  const own = holder[property];
  holder[property] = {read: () => kernel};
  try {
    return call();
  } finally {
    holder[property] = own;
  }
}

function kernelProperty(layer: Layer): string {
  assertTfjsLayersInternals();
  return KERNEL_PROPERTIES[layer.getClassName()];
}
