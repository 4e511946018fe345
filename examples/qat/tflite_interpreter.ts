/**
 * TFLite's own runtime (LiteRT.js, npm `@litertjs/core`, its wasm build of the TFLite interpreter
 * with XNNPACK) behind one small interface, for the tests, the demo, the bench and the web page.
 *
 * LiteRT.js's `Tensor` class knows float32, int32 and uint8 only, so this module drives the wasm
 * bindings underneath it (the same calls its `CompiledModel` makes), which take int8 as well.
 * Getting those bindings differs by platform: `tflite_runtime.ts` (Node) and
 * `examples/web/tflite_page.ts` (the page) each load them and call `compileTFLiteModel`.
 */
import type {LiteRt} from '@litertjs/core';
import {ByteBuffer} from 'flatbuffers';

/** LiteRT's wasm module (its emscripten bindings). */
export type LiteRtWasm = LiteRt['liteRtWasm'];
type LiteRtEnvironment = ReturnType<LiteRtWasm['LiteRtEnvironment']['create']>;
type LiteRtTensorBuffer = ReturnType<LiteRtWasm['LiteRtTensorBuffer']['createManaged']>;
type LiteRtRankedTensorType = ReturnType<LiteRtWasm['LiteRtRankedTensorType']['create']>;
type LiteRtModel = ReturnType<LiteRtWasm['loadModel']>;
type LiteRtCompiledModel = Awaited<ReturnType<LiteRtWasm['compileModel']>>;

export type TFLiteDType = 'float32' | 'int32' | 'uint8' | 'int8';
export type TFLiteData = Float32Array | Int32Array | Uint8Array | Int8Array;

/** real = (q - zeroPoint) * scale; one entry per tensor, or one per channel along `axis`. */
export interface TFLiteQuantization {
  scale: number[];
  zeroPoint: number[];
  axis: number;
}

export interface TFLiteTensorInfo {
  name: string;
  shape: number[];
  dtype: TFLiteDType;
  /** The tensor's quantization parameters in the file; absent for float tensors. */
  quantization?: TFLiteQuantization;
}

export interface TFLiteModel {
  readonly inputs: readonly TFLiteTensorInfo[];
  readonly outputs: readonly TFLiteTensorInfo[];
  /**
   * Runs the model's default signature. Each input is flat data in the model's layout and dtype
   * (Float32Array for float32, Int8Array for int8, ...). An input may hold n times the model's
   * input size (n samples of a batch-1 model, say): the interpreter then runs n times, sample by
   * sample (LiteRT.js cannot resize inputs), and each output holds n times its size.
   */
  run(inputs: TFLiteData[]): Promise<TFLiteData[]>;
  /** Frees the model in the wasm heap; the model cannot run afterwards. */
  delete(): void;
}

// LiteRT's ElementType values (litert_model_types.h) for the dtypes above.
const DTYPES: ReadonlyArray<{elementType: number, dtype: TFLiteDType, array: TypedArrayConstructor}> = [
  {elementType: 1, dtype: 'float32', array: Float32Array},
  {elementType: 2, dtype: 'int32', array: Int32Array},
  {elementType: 3, dtype: 'uint8', array: Uint8Array},
  {elementType: 9, dtype: 'int8', array: Int8Array},
];
type TypedArrayConstructor =
    Float32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor | Int8ArrayConstructor;

/** A tensor of the default signature as LiteRT sees it, plus the file's quantization. */
interface Port {
  info: TFLiteTensorInfo;
  array: TypedArrayConstructor;
  size: number;
  bytes: number;
}

/** What a loaded model holds in the wasm heap. */
interface Handles {
  modelPtr: number;
  model: LiteRtModel;
  compiled: LiteRtCompiledModel;
  inputBuffers: LiteRtTensorBuffer[];
}

/**
 * Loads a .tflite flatbuffer into LiteRT's wasm module and compiles it for its CPU path.
 * The caller's loader supplies the module and a LiteRT environment.
 */
export async function compileTFLiteModel(
    wasm: LiteRtWasm, environment: LiteRtEnvironment, bytes: Uint8Array): Promise<TFLiteModel> {
  checkTFLiteBytes(bytes);
  const handles = await loadIntoLiteRt(wasm, environment, bytes);
  try {
    const quantization = readQuantization(bytes);
    const inputs = ports(wasm, handles.model, 'input', quantization.inputs);
    const outputs = ports(wasm, handles.model, 'output', quantization.outputs);
    inputs.forEach((_, i) => handles.inputBuffers.push(createInputBuffer(wasm, environment, handles.model, i)));
    return new LiteRtModelRunner(wasm, handles, inputs, outputs);
  } catch (e) {
    freeHandles(wasm, handles);
    throw e;
  }
}

async function loadIntoLiteRt(wasm: LiteRtWasm, environment: LiteRtEnvironment, bytes: Uint8Array): Promise<Handles> {
  // LiteRT reads the flatbuffer in place: it stays in the heap until the model is deleted.
  const modelPtr = wasm._malloc(bytes.byteLength);
  wasm.HEAPU8.set(bytes, modelPtr);
  let model: LiteRtModel | undefined;
  try {
    model = wasm.loadModel(environment, modelPtr, bytes.byteLength);
    const compiled = await wasm.compileModel(environment, model, {accelerator: 'wasm'});
    return {modelPtr, model, compiled, inputBuffers: []};
  } catch (e) {
    model?.delete();
    wasm._free(modelPtr);
    throw new Error(`loadTFLiteModel: TFLite's interpreter (LiteRT) rejected the model: ${describeError(e)}. ` +
                    'Check the flatbuffer (op versions, tensor types, quantization axes) against TFLite\'s schema.');
  }
}

function freeHandles(wasm: LiteRtWasm, handles: Handles) {
  for (const buffer of handles.inputBuffers) buffer.delete();
  handles.compiled.delete();
  handles.model.delete();
  wasm._free(handles.modelPtr);
}

class LiteRtModelRunner implements TFLiteModel {
  readonly inputs: readonly TFLiteTensorInfo[];
  readonly outputs: readonly TFLiteTensorInfo[];
  private deleted = false;

  constructor(private readonly wasm: LiteRtWasm, private readonly handles: Handles,
              private readonly inputPorts: Port[], private readonly outputPorts: Port[]) {
    this.inputs = inputPorts.map((p) => p.info);
    this.outputs = outputPorts.map((p) => p.info);
  }

  async run(data: TFLiteData[]): Promise<TFLiteData[]> {
    if (this.deleted) throw new Error('TFLiteModel.run: the model was deleted');
    const samples = countSamples(this.inputPorts, data);
    const results = this.outputPorts.map((p) => new p.array(samples * p.size));
    for (let s = 0; s < samples; s++) await this.runSample(data, s, results);
    return results;
  }

  delete() {
    if (this.deleted) return;
    this.deleted = true;
    freeHandles(this.wasm, this.handles);
  }

  private async runSample(data: TFLiteData[], sample: number, results: TFLiteData[]) {
    const {inputBuffers, compiled} = this.handles;
    this.inputPorts.forEach((port, i) =>
        writeBuffer(this.wasm, inputBuffers[i], data[i], sample * port.bytes, port.bytes));
    const outputBuffers = await compiled.run(0, inputBuffers);
    try {
      this.outputPorts.forEach((port, i) =>
          readBuffer(this.wasm, outputBuffers[i], results[i], sample * port.bytes, port.bytes));
    } finally {
      for (const buffer of outputBuffers) buffer.delete();
    }
  }
}

function checkTFLiteBytes(bytes: Uint8Array) {
  if (!(bytes instanceof Uint8Array) && Object.prototype.toString.call(bytes) !== '[object Uint8Array]') {
    throw new Error(`loadTFLiteModel: bytes must be a Uint8Array (the .tflite file), got ${typeName(bytes)}`);
  }
  const identifier = String.fromCharCode(...bytes.subarray(4, 8));
  if (bytes.byteLength < 8 || identifier !== 'TFL3') {
    throw new Error(`loadTFLiteModel: not a .tflite flatbuffer (bytes 4..7 are "${identifier}", expected "TFL3")`);
  }
}

function createInputBuffer(wasm: LiteRtWasm, environment: LiteRtEnvironment,
                           model: LiteRtModel, index: number): LiteRtTensorBuffer {
  const type = model.getInputTensorType(0, index);
  try {
    return wasm.LiteRtTensorBuffer.createManaged(environment, wasm.LiteRtTensorBufferType.HOST_MEMORY, type, type.bytes());
  } finally {
    type.delete();
  }
}

function ports(wasm: LiteRtWasm, model: LiteRtModel, kind: 'input' | 'output',
               quantization: Map<string, TFLiteQuantization> | Array<TFLiteQuantization | undefined>): Port[] {
  const signature = model.getSignature(0);
  const names = kind === 'input' ? signature.inputNames() : signature.outputNames();
  try {
    return Array.from({length: names.size()}, (_, i) => {
      const name = names.get(i) as unknown as string;
      const type = kind === 'input' ? model.getInputTensorType(0, i) : model.getOutputTensorType(0, i);
      try {
        const {dtype, array} = dtypeOf(type, `${kind} ${name}`);
        const shape = dimensions(type);
        const size = shape.reduce((a, b) => a * b, 1);
        const q = quantization instanceof Map ? quantization.get(name) : quantization[i];
        const info: TFLiteTensorInfo = q && dtype !== 'float32' ? {name, shape, dtype, quantization: q} : {name, shape, dtype};
        return {info, array, size, bytes: size * array.BYTES_PER_ELEMENT};
      } finally {
        type.delete();
      }
    });
  } finally {
    names.delete();
    signature.delete();
  }
}

function dtypeOf(type: LiteRtRankedTensorType, what: string) {
  const elementType = type.elementType().value;
  const entry = DTYPES.find((d) => d.elementType === elementType);
  if (!entry) {
    throw new Error(`loadTFLiteModel: ${what} has LiteRT element type ${elementType}; ` +
                    `supported: ${DTYPES.map((d) => d.dtype).join(', ')}`);
  }
  return entry;
}

function dimensions(type: LiteRtRankedTensorType): number[] {
  const layout = type.layout();
  const dims = layout.dimensions();
  try {
    return Array.from({length: dims.size()}, (_, i) => dims.get(i) as unknown as number);
  } finally {
    dims.delete();
    layout.delete();
  }
}

/** How many model-sized samples the inputs hold (the same for every input), or a clear error. */
function countSamples(inputs: Port[], data: TFLiteData[]): number {
  if (!Array.isArray(data) || data.length !== inputs.length) {
    throw new Error(`TFLiteModel.run: expected ${inputs.length} input array(s) ` +
                    `(${inputs.map((p) => p.info.name).join(', ')}), got ${Array.isArray(data) ? data.length : typeName(data)}`);
  }
  let samples = -1;
  inputs.forEach((port, i) => {
    const x = data[i];
    const expected = port.array.name;
    if (typeName(x) !== expected) {
      throw new Error(`TFLiteModel.run: input ${i} (${port.info.name}) is ${port.info.dtype}: pass a ${expected}, got ${typeName(x)}`);
    }
    const n = x.length / port.size;
    if (!Number.isInteger(n) || n < 1 || (samples >= 0 && n !== samples)) {
      throw new Error(`TFLiteModel.run: input ${i} (${port.info.name}) has ${x.length} values; it needs a positive ` +
                      `multiple of ${port.size} (shape [${port.info.shape}])` +
                      (samples >= 0 ? `, the same multiple (${samples}) as the inputs before it` : ''));
    }
    samples = n;
  });
  return samples;
}

function writeBuffer(wasm: LiteRtWasm, buffer: LiteRtTensorBuffer, data: TFLiteData, offset: number, bytes: number) {
  const ptr = buffer.lock(wasm.LiteRtTensorBufferLockMode.WRITE);
  try {
    // HEAPU8 is read after the lock: the heap may have grown and replaced it.
    wasm.HEAPU8.set(new Uint8Array(data.buffer, data.byteOffset + offset, bytes), ptr);
  } finally {
    buffer.unlock();
  }
}

function readBuffer(wasm: LiteRtWasm, buffer: LiteRtTensorBuffer, out: TFLiteData, offset: number, bytes: number) {
  if (buffer.size() < bytes || buffer.offset() !== 0) {
    throw new Error(`TFLiteModel.run: LiteRT returned an output buffer of ${buffer.size()} bytes at offset ` +
                    `${buffer.offset()}; expected ${bytes} packed bytes`);
  }
  const ptr = buffer.lock(wasm.LiteRtTensorBufferLockMode.READ);
  try {
    new Uint8Array(out.buffer, out.byteOffset + offset, bytes).set(wasm.HEAPU8.subarray(ptr, ptr + bytes));
  } finally {
    buffer.unlock();
  }
}

function typeName(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  // Not `instanceof`: jest's test realm and Node's have different typed-array constructors.
  return Object.prototype.toString.call(x).slice(8, -1);
}

function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  // Emscripten can throw a bare number (a C++ exception pointer) or a string.
  return typeof e === 'number' ? `a native exception (${e})` : String(e);
}

// --- The quantization parameters, read from the flatbuffer (LiteRT.js does not expose them). ---
// Field ids are those of TFLite's schema.fbs: Model.subgraphs 2, Model.signature_defs 7;
// SubGraph.tensors 0, inputs 1, outputs 2; Tensor.name 3, quantization 4;
// QuantizationParameters.scale 2, zero_point 3, quantized_dimension 6;
// SignatureDef.inputs 0, outputs 1, subgraph_index 4; TensorMap.name 0, tensor_index 1.

interface Quantizations {
  /** By signature name when the file has signature defs (LiteRT names the ports so), else by position. */
  inputs: Map<string, TFLiteQuantization> | Array<TFLiteQuantization | undefined>;
  outputs: Map<string, TFLiteQuantization> | Array<TFLiteQuantization | undefined>;
}

function readQuantization(bytes: Uint8Array): Quantizations {
  const bb = new ByteBuffer(bytes);
  const model = bb.readInt32(bb.position()) + bb.position();
  const signatures = vector(bb, model, 7);
  if (signatures.length > 0) {
    const signature = bb.__indirect(signatures.start);
    const tensors = subgraphTensors(bb, model, fieldUint32(bb, signature, 4));
    const byName = (id: number) => new Map(tableVector(bb, signature, id).map((map): [string, TFLiteQuantization | undefined] =>
        [bb.__string(field(bb, map, 0) + map) as string, tensorQuantization(bb, tensors, fieldUint32(bb, map, 1))]));
    return {inputs: withoutEmpty(byName(0)), outputs: withoutEmpty(byName(1))};
  }
  const subgraph = bb.__indirect(vector(bb, model, 2).start);
  const tensors = subgraphTensors(bb, model, 0);
  const positional = (id: number) => int32Vector(bb, subgraph, id).map((t) => tensorQuantization(bb, tensors, t));
  return {inputs: positional(1), outputs: positional(2)};
}

function withoutEmpty(map: Map<string, TFLiteQuantization | undefined>): Map<string, TFLiteQuantization> {
  return new Map([...map].filter((e): e is [string, TFLiteQuantization] => e[1] !== undefined));
}

function subgraphTensors(bb: ByteBuffer, model: number, index: number): number[] {
  const subgraphs = tableVector(bb, model, 2);
  if (index >= subgraphs.length) throw new Error(`loadTFLiteModel: the file has no subgraph ${index}`);
  return tableVector(bb, subgraphs[index], 0);
}

function tensorQuantization(bb: ByteBuffer, tensors: number[], index: number): TFLiteQuantization | undefined {
  const offset = field(bb, tensors[index], 4);
  if (!offset) return undefined;
  const q = bb.__indirect(tensors[index] + offset);
  const scales = vector(bb, q, 2);
  const zeros = vector(bb, q, 3);
  if (scales.length === 0) return undefined;
  return {
    scale: Array.from({length: scales.length}, (_, i) => bb.readFloat32(scales.start + 4 * i)),
    zeroPoint: Array.from({length: zeros.length}, (_, i) => Number(bb.readInt64(zeros.start + 8 * i))),
    axis: fieldUint32(bb, q, 6),
  };
}

/** The offset of a table's field relative to the table, 0 when absent. */
function field(bb: ByteBuffer, table: number, id: number): number {
  return bb.__offset(table, 4 + 2 * id);
}

function fieldUint32(bb: ByteBuffer, table: number, id: number): number {
  const offset = field(bb, table, id);
  return offset ? bb.readUint32(table + offset) : 0;
}

function vector(bb: ByteBuffer, table: number, id: number): {start: number, length: number} {
  const offset = field(bb, table, id);
  return offset ? {start: bb.__vector(table + offset), length: bb.__vector_len(table + offset)} : {start: 0, length: 0};
}

function tableVector(bb: ByteBuffer, table: number, id: number): number[] {
  const {start, length} = vector(bb, table, id);
  return Array.from({length}, (_, i) => bb.__indirect(start + 4 * i));
}

function int32Vector(bb: ByteBuffer, table: number, id: number): number[] {
  const {start, length} = vector(bb, table, id);
  return Array.from({length}, (_, i) => bb.readInt32(start + 4 * i));
}

/**
 * The share of `images` (n flat samples, float pixels) that a one-input classifier file labels
 * as `labels` says. Int8 inputs are quantized with the file's input scale and zero point; the
 * predicted class is the largest output (dequantizing keeps the order: the scale is positive).
 */
export async function tfliteAccuracy(model: TFLiteModel, images: Float32Array, labels: ArrayLike<number>): Promise<number> {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new Error(`tfliteAccuracy: expected a model with one input and one output, got ${model.inputs.length} and ${model.outputs.length}`);
  }
  const [scores] = await model.run([modelInput(model.inputs[0], images)]);
  const classes = scores.length / labels.length;
  let correct = 0;
  for (let s = 0; s < labels.length; s++) {
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (scores[s * classes + c] > scores[s * classes + best]) best = c;
    }
    if (best === labels[s]) correct++;
  }
  return correct / labels.length;
}

function modelInput(input: TFLiteTensorInfo, x: Float32Array): TFLiteData {
  if (input.dtype === 'float32') return x;
  if (input.dtype !== 'int8' || !input.quantization) {
    throw new Error(`tfliteAccuracy: input ${input.name} is ${input.dtype}; float32 or quantized int8 expected`);
  }
  const scale = input.quantization.scale[0];
  const zeroPoint = input.quantization.zeroPoint[0];
  // Half away from zero, as TFLite's QUANTIZE kernel rounds.
  const round = (v: number) => Math.sign(v) * Math.round(Math.abs(v));
  return Int8Array.from(x, (v) => Math.min(127, Math.max(-128, round(v / scale) + zeroPoint)));
}
