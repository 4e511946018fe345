/** Builds an `IntGraph` op by op: tensors get ids in creation order and unique names. */
import type {GraphDType, GraphOp, GraphTensor, IntGraph, QuantParams} from './graph';

type DistributiveOmit<T, K extends keyof GraphOp> = T extends GraphOp ? Omit<T, K> : never;
/** An op without its tensor lists (given to `addOp` separately). */
export type OpFields = DistributiveOmit<GraphOp, 'inputs'|'outputs'>;

export class GraphBuilder {
  private readonly tensors: GraphTensor[] = [];
  private readonly ops: GraphOp[] = [];
  private readonly names = new Set<string>();

  constructor(private readonly name: string) {}

  tensor(id: number): GraphTensor {
    return this.tensors[id];
  }

  /** A new tensor; `name` gets a numeric suffix if it is taken. */
  addTensor(
      name: string, shape: number[], dtype: GraphDType, quant?: QuantParams,
      data?: Int8Array|Int32Array|Float32Array): number {
    let unique = name;
    for (let i = 1; this.names.has(unique); i++) unique = `${name}_${i}`;
    this.names.add(unique);
    const id = this.tensors.length;
    const t: GraphTensor = {id, name: unique, shape: [...shape], dtype};
    if (quant != null) t.quant = quant;
    if (data != null) t.data = data;
    this.tensors.push(t);
    return id;
  }

  /** An int32 constant vector (axes, shapes, paddings). */
  addInt32(name: string, values: number[], shape = [values.length]): number {
    return this.addTensor(name, shape, 'int32', undefined, Int32Array.from(values));
  }

  addOp(fields: OpFields, inputs: number[], outputs: number[]): void {
    this.ops.push({...fields, inputs, outputs} as GraphOp);
  }

  build(inputs: number[], outputs: number[]): IntGraph {
    return {name: this.name, tensors: this.tensors, ops: this.ops, inputs, outputs};
  }
}
