/**
 * The model topology (model.json's `modelTopology`, Keras-style JSON) of a QAT model rewritten as
 * a stock TF.js layers model: FakeQuant layers removed (their readers read what they read),
 * FakeQuantWeights replaced by the layer they wrap (with its own name). Sequential, functional
 * and nested models.
 */

/** A layer entry of a Keras model config (snake_case keys, as tf.LayersModel.toJSON writes). */
interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
  name?: string;
  inbound_nodes?: NodeJson[];
}

/** One application of a layer: its input tensors as [layer, node index, tensor index, kwargs?]. */
type TensorRef = [string, number, number, ...unknown[]];
type NodeJson = TensorRef[];

interface ModelConfigJson {
  name: string;
  layers: LayerJson[];
  input_layers?: TensorRef[];
  output_layers?: TensorRef[];
}

const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);
/** Config keys a Sequential model's first layer carries for the whole model. */
const INPUT_KEYS = ['batch_input_shape', 'dtype'];

/** `topology` (a QAT model's toJSON(null, false)) as a stock TF.js topology. */
export function stockTopology(topology: Record<string, unknown>): Record<string, unknown> {
  return {...topology, config: stockModel(topology.class_name as string, topology.config as ModelConfigJson)};
}

function stockModel(className: string, config: ModelConfigJson): ModelConfigJson {
  return className === 'Sequential' ? stockSequential(config) : stockFunctional(config);
}

/** The layer a FakeQuantWeights wraps, under its own name (the float model's). */
function unwrap(layer: LayerJson): LayerJson {
  const inner = layer.config.layer as LayerJson;
  const config = {...inner.config};
  for (const key of INPUT_KEYS) {
    if (layer.config[key] != null && config[key] == null) config[key] = layer.config[key];
  }
  return {class_name: inner.class_name, config};
}

/** A layer of the stock model: unwrapped, a nested model rewritten, or as it is. */
function stockLayer(layer: LayerJson): LayerJson {
  if (layer.class_name === 'FakeQuantWeights') return unwrap(layer);
  if (MODEL_CLASSES.has(layer.class_name)) {
    return {...layer, config: stockModel(layer.class_name, layer.config as unknown as ModelConfigJson) as unknown as Record<string, unknown>};
  }
  return layer;
}

function stockSequential(config: ModelConfigJson): ModelConfigJson {
  const layers: LayerJson[] = [];
  // A removed first layer (an input FakeQuant without an InputLayer) hands its input shape on.
  let carried: Record<string, unknown> = {};
  for (const layer of config.layers) {
    if (layer.class_name === 'FakeQuant') {
      for (const key of INPUT_KEYS) if (layer.config[key] != null) carried[key] = layer.config[key];
      continue;
    }
    const kept = stockLayer(layer);
    layers.push({...kept, config: {...carried, ...kept.config}});
    carried = {};
  }
  return {...config, layers};
}

function stockFunctional(config: ModelConfigJson): ModelConfigJson {
  const bypassed = new Map<string, NodeJson[]>();
  const renamed = new Map<string, string>();
  for (const layer of config.layers) {
    if (layer.class_name === 'FakeQuant') bypassed.set(layer.name!, layer.inbound_nodes!);
    if (layer.class_name === 'FakeQuantWeights') renamed.set(layer.name!, unwrap(layer).config.name as string);
  }
  // The tensor a reference stands for once FakeQuants are gone (one input per FakeQuant node).
  const resolve = (ref: TensorRef): TensorRef => {
    let [name, node, tensor, ...rest] = ref;
    while (bypassed.has(name)) [name, node, tensor] = bypassed.get(name)![node][0];
    return [renamed.get(name) ?? name, node, tensor, ...rest];
  };
  const layers = config.layers.filter((l) => l.class_name !== 'FakeQuant').map((layer) => {
    const kept = stockLayer(layer);
    return {
      ...kept, name: renamed.get(layer.name!) ?? layer.name,
      inbound_nodes: layer.inbound_nodes!.map((node) => node.map(resolve)),
    };
  });
  return {...config, layers, output_layers: config.output_layers!.map(resolve)};
}
