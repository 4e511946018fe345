/**
 * A minimal reader of ONNX files for the tests, written from onnx.proto's field numbers
 * independently of the writer: the graph's nodes (op type, inputs, outputs, int attributes),
 * initializers (dims, type, raw data) and input / output names.
 */

interface Field {
  field: number;
  /** Varint and fixed values as numbers; length-delimited ones as bytes. */
  value: number|Uint8Array;
}

function fields(bytes: Uint8Array): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = bytes[pos++];
      result += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return result;
    }
  };
  while (pos < bytes.length) {
    const key = varint();
    const wire = key % 8;
    const field = Math.floor(key / 8);
    if (wire === 0) {
      out.push({field, value: varint()});
    } else if (wire === 2) {
      const n = varint();
      out.push({field, value: bytes.subarray(pos, pos + n)});
      pos += n;
    } else if (wire === 5) {
      out.push({field, value: new DataView(bytes.buffer, bytes.byteOffset + pos, 4).getFloat32(0, true)});
      pos += 4;
    } else {
      throw new Error(`onnx_reader: wire type ${wire} not expected (field ${field})`);
    }
  }
  return out;
}

const text = (v: number|Uint8Array) => new TextDecoder().decode(v as Uint8Array);
const all = (fs: Field[], n: number) => fs.filter((f) => f.field === n).map((f) => f.value);
const one = (fs: Field[], n: number) => fs.find((f) => f.field === n)?.value;

/** A 64-bit varint read as a double: negative values come back as 2^64 + v. */
function signed(v: number): number {
  return v >= 2 ** 63 ? v - 2 ** 64 : v;
}

export interface ReadNode {
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  ints: Record<string, number[]>;
}

export interface ReadTensor {
  name: string;
  dims: number[];
  dataType: number;
  raw: Uint8Array;
}

export interface ReadModel {
  irVersion: number;
  opsets: Array<{domain: string, version: number}>;
  nodes: ReadNode[];
  initializers: Map<string, ReadTensor>;
  inputs: string[];
  outputs: string[];
}

function readNode(bytes: Uint8Array): ReadNode {
  const fs = fields(bytes);
  const ints: Record<string, number[]> = {};
  for (const a of all(fs, 5)) {
    const af = fields(a as Uint8Array);
    const values = [...all(af, 3), ...all(af, 8)] as number[];
    if (values.length > 0) ints[text(one(af, 1)!)] = values.map(signed);
  }
  return {
    opType: text(one(fs, 4)!), domain: one(fs, 7) != null ? text(one(fs, 7)!) : '',
    inputs: all(fs, 1).map(text), outputs: all(fs, 2).map(text), ints,
  };
}

function readTensor(bytes: Uint8Array): ReadTensor {
  const fs = fields(bytes);
  return {
    name: text(one(fs, 8)!), dims: all(fs, 1) as number[], dataType: one(fs, 2) as number,
    raw: (one(fs, 9) as Uint8Array|undefined) ?? new Uint8Array(0),
  };
}

export function readModel(bytes: Uint8Array): ReadModel {
  const model = fields(bytes);
  const graph = fields(one(model, 7) as Uint8Array);
  const valueName = (v: number|Uint8Array) => text(one(fields(v as Uint8Array), 1)!);
  return {
    irVersion: one(model, 1) as number,
    opsets: all(model, 8).map((o) => {
      const f = fields(o as Uint8Array);
      return {domain: one(f, 1) != null ? text(one(f, 1)!) : '', version: one(f, 2) as number};
    }),
    nodes: all(graph, 1).map((n) => readNode(n as Uint8Array)),
    initializers: new Map(all(graph, 5).map((t) => readTensor(t as Uint8Array)).map((t) => [t.name, t])),
    inputs: all(graph, 11).map(valueName),
    outputs: all(graph, 12).map(valueName),
  };
}

/** The values of a float32 (1), int8 (3), uint8 (2) or int32 (6) initializer. */
export function tensorValues(t: ReadTensor): number[] {
  const view = new DataView(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength);
  const width = t.dataType === 3 || t.dataType === 2 ? 1 : 4;
  return Array.from({length: t.raw.byteLength / width}, (_, i) =>
      t.dataType === 1 ? view.getFloat32(4 * i, true) : t.dataType === 6 ? view.getInt32(4 * i, true) :
      t.dataType === 3 ? view.getInt8(i) : view.getUint8(i));
}
