/**
 * The demo's other deployment formats of the QAT 8-bit model: the ONNX QDQ model (`exportONNX`),
 * run in ONNX Runtime (onnxruntime-node, CPU), and the TF.js web model with 8-bit kernels
 * (`saveQuantized`), run in stock tfjs. Each: its test accuracy and its size.
 */
import * as fs from 'fs';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';

import {exportONNX, saveQuantized} from '../../src/export';

import type {DataSet} from './data';

export interface FormatResult {
  accuracy: number;
  /** The .onnx file's bytes; the web model's weight file's. */
  bytes: number;
}

/** The QAT model in both formats, taken while it exists (the experiment disposes it). */
export interface Deployed {
  onnx: Uint8Array;
  webModel: tf.io.ModelArtifacts;
  /** The model's input shape without the batch dimension. */
  inputShape: number[];
}

/**
 * ORT's exact int8 path on x86 CPUs without VNNI (its default U8S8 kernels saturate with 8-bit
 * weights: see exportONNX).
 */
const ORT_OPTIONS: ort.InferenceSession.SessionOptions = {extra: {session: {x64quantprecision: '1'}}};

export async function deploy(qat: tf.LayersModel): Promise<Deployed> {
  const onnx = await exportONNX(qat);
  let webModel: tf.io.ModelArtifacts|undefined;
  // Per-channel kernels: the uint8 grid's error is measured and printed by saveQuantized.
  await saveQuantized(qat, tf.io.withSaveHandler(async (artifacts) => {
    webModel = artifacts;
    return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
  }));
  return {onnx, webModel: webModel!, inputShape: qat.inputs[0].shape.slice(1) as number[]};
}

/** The share of `scores` (n x classes, row-major) whose largest entry is the label. */
function accuracy(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const classes = scores.length / labels.length;
  let correct = 0;
  for (let s = 0; s < labels.length; s++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (scores[s * classes + c] > scores[s * classes + best]) best = c;
    if (best === labels[s]) correct++;
  }
  return correct / labels.length;
}

/** An ONNX Runtime session on `onnx` with ORT_OPTIONS (plus `extra`: e.g. thread counts). */
export function openONNXSession(onnx: Uint8Array, extra: ort.InferenceSession.SessionOptions = {}): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(onnx, {...ORT_OPTIONS, ...extra});
}

/** The web model in stock tfjs (on the current backend). */
export function loadWebModel(d: Deployed): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tf.io.fromMemory(d.webModel));
}

export async function onnxAccuracy(d: Deployed, test: DataSet): Promise<number> {
  const session = await openONNXSession(d.onnx);
  try {
    const input = new ort.Tensor('float32', test.images, [test.n, ...d.inputShape]);
    const out = await session.run({[session.inputNames[0]]: input});
    return accuracy(out[session.outputNames[0]].data as Float32Array, test.labels);
  } finally {
    await session.release();
  }
}

export async function webModelAccuracy(d: Deployed, test: DataSet): Promise<number> {
  const model = await loadWebModel(d);
  try {
    const scores = tf.tidy(() => (model.predict(tf.tensor(test.images, [test.n, ...d.inputShape])) as tf.Tensor).dataSync());
    return accuracy(scores, test.labels);
  } finally {
    model.dispose();
  }
}

/** The web model as `dir`/model.json and `dir`/model.weights.bin (what tf.io.http serves). */
export function writeWebModel(dir: string, d: Deployed): void {
  const {modelTopology, format, generatedBy, convertedBy, weightSpecs, weightData} = d.webModel;
  const weightsFile = 'model.weights.bin';
  fs.mkdirSync(dir, {recursive: true});
  fs.writeFileSync(path.join(dir, weightsFile), new Uint8Array(weightData as ArrayBuffer));
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({
    modelTopology, format, generatedBy, convertedBy, weightsManifest: [{paths: [weightsFile], weights: weightSpecs}],
  }));
}

/** Both formats' accuracies on `test`, and their sizes. */
export async function evaluate(d: Deployed, test: DataSet): Promise<{onnx: FormatResult, webModel: FormatResult}> {
  return {
    onnx: {accuracy: await onnxAccuracy(d, test), bytes: d.onnx.length},
    webModel: {accuracy: await webModelAccuracy(d, test), bytes: (d.webModel.weightData as ArrayBuffer).byteLength},
  };
}
