/**
 * `saveQuantized` against stock TF.js: the models of the export suites (export_models.ts) saved as
 * web models with 8-bit kernels and loaded by `tf.loadLayersModel` (in this process through
 * `tf.io.fromMemory` and a local HTTP server; in a child process that loads only
 * @tensorflow/tfjs). References: the QAT model's fake-quantized kernels (per-tensor kernels load
 * back bit for bit), and the float model computing with them (the web model predicts the same,
 * value for value). Then sizes, the per-channel warning and its uint16 option, errors, leaks.
 */
import * as tf from '@tensorflow/tfjs';
import {execFileSync} from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import type {AddressInfo} from 'net';
import * as os from 'os';
import * as path from 'path';

import {saveQuantized, type SaveQuantizedOptions} from '../../src/export';
import {FakeQuantWeights} from '../../src/layers';

import {MODELS, mlp, nested, quantizedModel, randomInputs, randomizeWeights} from './export_models';

/** Saves through `tf.io.withSaveHandler`, returning the artifacts the handler received. */
async function saveToMemory(qat: tf.LayersModel, options?: SaveQuantizedOptions): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts|undefined;
  await saveQuantized(qat, tf.io.withSaveHandler(async (a) => {
    saved = a;
    return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
  }), options);
  return saved!;
}

/** Every FakeQuantWeights of a model, nested models included. */
function kernelWrappers(model: tf.LayersModel): FakeQuantWeights[] {
  return model.layers.flatMap((l) => (l instanceof FakeQuantWeights ? [l] : l instanceof tf.LayersModel ? kernelWrappers(l) : []));
}

/** A layer by name, looking into nested models. */
function findLayer(model: tf.LayersModel, name: string): tf.layers.Layer|null {
  for (const l of model.layers) {
    if (l.name === name) return l;
    if (l instanceof tf.LayersModel) {
      const inner = findLayer(l, name);
      if (inner != null) return inner;
    }
  }
  return null;
}

function kernelOf(layer: tf.layers.Layer): tf.Tensor {
  return layer.weights.find((w) => /(depthwise_)?kernel$/.test(w.originalName))!.read();
}

/** The kernel layers of a model in order (nested models flattened), as FakeQuantWeights wraps them. */
function kernelLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.flatMap((l) => (l instanceof tf.LayersModel ? kernelLayers(l) :
      l.weights.some((w) => /(depthwise_)?kernel$/.test(w.originalName)) ? [l] : []));
}

/**
 * The float model (built again, same seed: the weights quantizeModel started from) with each
 * kernel set to the QAT model's fake-quantized kernel: what the web model must compute. Kernel
 * layers pair in order (a new build has new automatic names).
 */
function floatReference(build: () => tf.LayersModel, seed: number, qat: tf.LayersModel): tf.LayersModel {
  const float = build();
  randomizeWeights(float, seed);
  const wrappers = kernelWrappers(qat);
  const layers = kernelLayers(float);
  expect(layers.map((l) => l.getClassName())).toEqual(wrappers.map((w) => w.layer.getClassName()));
  wrappers.forEach((wrapper, i) => {
    const variable = layers[i].weights.find((w) => /(depthwise_)?kernel$/.test(w.originalName))!;
    const q = wrapper.quantizedKernel();
    variable.write(q);
    q.dispose();
  });
  return float;
}

function predictAll(model: tf.LayersModel, xs: tf.Tensor[]): Float32Array[] {
  return tf.tidy(() => {
    const y = model.predict(xs.length === 1 ? xs[0] : xs);
    return (Array.isArray(y) ? y : [y]).map((t) => t.dataSync() as Float32Array);
  });
}

function floatBytes(model: tf.LayersModel): number {
  return model.weights.reduce((n, w) => n + 4 * (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
}

/** console.warn's messages during `fn`. */
async function warnings<T>(fn: () => Promise<T>): Promise<{result: T, messages: string[]}> {
  const spy = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    const result = await fn();
    return {result, messages: spy.mock.calls.map((c) => String(c[0]))};
  } finally {
    spy.mockRestore();
  }
}

/**
 * Node's fetch, with the body parsed in this realm: under jest, JSON that Node's own fetch
 * parses has arrays of another realm, which tfjs-layers' `instanceof Array` misreads.
 */
async function sandboxFetch(input: RequestInfo|URL, init?: RequestInit) {
  const response = await fetch(input, init);
  const bytes = new Uint8Array(await response.arrayBuffer()).slice();
  return {
    ok: response.ok, status: response.status, headers: response.headers,
    json: async () => JSON.parse(new TextDecoder().decode(bytes)),
    arrayBuffer: async () => bytes.buffer,
  } as unknown as Response;
}

describe('saveQuantized: stock TF.js loads the QAT model\'s weights', () => {
  for (const [name, build] of MODELS) {
    it(`${name}, per-tensor kernels: bit for bit, and predicts as the float model with them`, async () => {
      const qat = quantizedModel({build, quantize: {perChannelWeights: false}}, 1);
      const artifacts = await saveToMemory(qat);
      expect(JSON.stringify(artifacts.modelTopology)).not.toMatch(/FakeQuant/);
      const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
      for (const wrapper of kernelWrappers(qat)) {
        const expected = wrapper.quantizedKernel();
        const actual = kernelOf(findLayer(loaded, wrapper.layer.name)!);
        const e = expected.dataSync();
        const a = actual.dataSync();
        expect(a.length).toBe(e.length);
        expect(Array.from(a).every((v, i) => Object.is(v, e[i]))).toBe(true);
        expected.dispose();
      }
      const float = floatReference(build, 1, qat);
      const xs = randomInputs(qat, 16, 3);
      expect(predictAll(loaded, xs)).toEqual(predictAll(float, xs));
      tf.dispose(xs);
      [qat, loaded, float].forEach((m) => m.dispose());
    });
  }

  it('per-channel kernels: one uint8 grid per tensor, the measured error in a warning; uint16 closer', async () => {
    const qat = quantizedModel({build: nested}, 2);
    const uint8 = await warnings(() => saveToMemory(qat));
    expect(uint8.messages.length).toBe(1);
    expect(uint8.messages[0]).toMatch(/3 per-channel kernel\(s\) stored on one uint8 grid/);
    expect(uint8.messages[0]).toMatch(/up to \d\.\d+ steps of a channel's own grid/);
    const uint16 = await warnings(() => saveToMemory(qat, {perChannelKernels: 'uint16'}));
    expect(uint16.messages[0]).toMatch(/on one uint16 grid/);
    for (const [artifacts, levels] of [[uint8.result, 255], [uint16.result, 65535]] as const) {
      const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
      for (const wrapper of kernelWrappers(qat)) {
        const e = wrapper.quantizedKernel();
        const expected = e.dataSync();
        e.dispose();
        const actual = kernelOf(findLayer(loaded, wrapper.layer.name)!).dataSync();
        const span = Math.max(...expected) - Math.min(...expected);
        // Within half a step of a grid of `levels` steps over the kernel's span.
        expect(Math.max(...Array.from(actual, (v, i) => Math.abs(v - expected[i])))).toBeLessThanOrEqual(span / levels / 2 * (1 + 1e-5));
      }
      loaded.dispose();
    }
    qat.dispose();
  });

  it('weight bytes at most 30% of the float model\'s (demo-sized MLP and CNN)', async () => {
    const denseNet = () => tf.sequential({layers: [
      tf.layers.dense({inputShape: [784], units: 128, activation: 'relu'}),
      tf.layers.dense({units: 10}), tf.layers.softmax(),
    ]});
    const convNet = () => tf.sequential({layers: [
      tf.layers.conv2d({inputShape: [28, 28, 1], filters: 16, kernelSize: 3}), tf.layers.batchNormalization(), tf.layers.reLU(),
      tf.layers.maxPooling2d({poolSize: 2}),
      tf.layers.depthwiseConv2d({kernelSize: 3}), tf.layers.batchNormalization(), tf.layers.reLU(),
      tf.layers.conv2d({filters: 32, kernelSize: 1, activation: 'relu'}),
      tf.layers.flatten(), tf.layers.dense({units: 10}), tf.layers.softmax(),
    ]});
    for (const build of [denseNet, convNet]) {
      for (const perChannelWeights of [false, true]) {
        const float = build();
        const bytes = floatBytes(float);
        float.dispose();
        const qat = quantizedModel({build, quantize: {perChannelWeights}}, 4);
        const {result} = await warnings(() => saveToMemory(qat));
        expect((result.weightData as ArrayBuffer).byteLength).toBeLessThanOrEqual(0.3 * bytes);
        qat.dispose();
      }
    }
  });

  it('a URL: saved over HTTP (tf.io.http\'s multipart POST) and loaded back from it', async () => {
    const files = new Map<string, Buffer>();
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        if (req.method === 'POST') {
          const form = await new Response(Buffer.concat(chunks), {headers: {'content-type': req.headers['content-type']!}}).formData();
          for (const key of ['model.json', 'model.weights.bin']) {
            files.set(key, Buffer.from(await (form.get(key) as Blob).arrayBuffer()));
          }
          res.writeHead(200).end();
        } else {
          const file = files.get(path.basename(req.url!));
          res.writeHead(file != null ? 200 : 404).end(file);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const qat = quantizedModel({build: mlp, quantize: {perChannelWeights: false}}, 5);
      const result = await saveQuantized(qat, `${url}/upload`);
      expect(result.modelArtifactsInfo.weightDataBytes).toBe(files.get('model.weights.bin')!.length);
      const manifest = JSON.parse(files.get('model.json')!.toString());
      expect(manifest.weightsManifest[0].weights.filter((w: tf.io.WeightsManifestEntry) => w.quantization?.dtype === 'uint8').length).toBe(5);
      const loaded = await tf.loadLayersModel(tf.io.http(`${url}/model.json`, {fetchFunc: sandboxFetch}));
      const float = floatReference(mlp, 5, qat);
      const xs = randomInputs(qat, 8, 6);
      expect(predictAll(loaded, xs)).toEqual(predictAll(float, xs));
      tf.dispose(xs);
      [qat, loaded, float].forEach((m) => m.dispose());
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('loads in a process that has only @tensorflow/tfjs (no tfjs-fake-quant classes)', async () => {
    const qat = quantizedModel({build: nested, quantize: {perChannelWeights: false}}, 7);
    const artifacts = await saveToMemory(qat);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'web-model-'));
    try {
      const xs = randomInputs(qat, 4, 8);
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({modelTopology: artifacts.modelTopology, weightSpecs: artifacts.weightSpecs}));
      fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(artifacts.weightData as ArrayBuffer));
      fs.writeFileSync(path.join(dir, 'input.json'), JSON.stringify({data: Array.from(xs[0].dataSync()), shape: xs[0].shape}));
      const script = `
        const tf = require('@tensorflow/tfjs');
        const fs = require('fs');
        const path = require('path');
        (async () => {
          const dir = process.argv[1];
          const {modelTopology, weightSpecs} = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
          const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
          const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length);
          const model = await tf.loadLayersModel(tf.io.fromMemory({modelTopology, weightSpecs, weightData}));
          const {data, shape} = JSON.parse(fs.readFileSync(path.join(dir, 'input.json'), 'utf8'));
          process.stdout.write(JSON.stringify(Array.from(model.predict(tf.tensor(data, shape)).dataSync())));
        })();`;
      const out = execFileSync(process.execPath, ['-e', script, dir], {cwd: path.join(__dirname, '../..'), encoding: 'utf8'});
      const float = floatReference(nested, 7, qat);
      expect(JSON.parse(out)).toEqual(Array.from(predictAll(float, xs)[0]));
      tf.dispose(xs);
      float.dispose();
    } finally {
      fs.rmSync(dir, {recursive: true, force: true});
      qat.dispose();
    }
  });
});

describe('saveQuantized: errors and leaks', () => {
  const memory = tf.io.withSaveHandler(async () => ({modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}}));

  it('a float model, bad options, a URL without a save handler', async () => {
    const float = mlp();
    await expect(saveQuantized(float, memory)).rejects.toThrow(/no fake-quantized kernel.*quantizeModel/);
    float.dispose();
    const qat = quantizedModel({build: mlp}, 9);
    await expect(saveQuantized(qat, memory, {perChannelKernels: 'float16' as 'uint8'}))
        .rejects.toThrow(/perChannelKernels must be 'uint8' or 'uint16'/);
    await expect(saveQuantized(qat, 'ftp://host/model')).rejects.toThrow(/no save handler for the URL 'ftp:\/\/host\/model'/);
    await expect(saveQuantized(qat, {} as tf.io.IOHandler)).rejects.toThrow(/handlerOrURL must be/);
    qat.dispose();
  });

  it('creates no tensor that outlives the save', async () => {
    const qat = quantizedModel({build: nested}, 10);
    const before = tf.memory().numTensors;
    await warnings(() => saveToMemory(qat));
    expect(tf.memory().numTensors).toBe(before);
    qat.dispose();
  });
});
