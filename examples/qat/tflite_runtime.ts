/**
 * TFLite's interpreter in plain Node (jest tests, the demo, the bench), offline: LiteRT.js's wasm
 * build from node_modules/@litertjs/core/wasm/, nothing fetched.
 *
 *   const model = await loadTFLiteModel(fs.readFileSync('model.tflite'));
 *   const [logits] = await model.run([int8Images]);  // n images: n runs of the batch-1 model
 *   model.delete();
 *
 * The emscripten loader (wasm/*.js) is a UMD script; the package is `"type": "module"`, so
 * `require` refuses it, and LiteRT.js's own loader (dist/, ESM) expects a page or a worker. This
 * module compiles the script as a CommonJS function with `vm`, and emscripten, finding Node, reads
 * its .wasm with `fs`. No globals are set. Node 20's V8 lacks relaxed SIMD, so the "compat" build
 * (plain SIMD) is the one loaded; the page loads the relaxed-SIMD build where the browser has it.
 */
import * as fs from 'fs';
import {createRequire} from 'module';
import * as path from 'path';
import * as vm from 'vm';

import {compileTFLiteModel, type LiteRtWasm, type TFLiteModel} from './tflite_interpreter';

export {tfliteAccuracy} from './tflite_interpreter';
export type {TFLiteData, TFLiteDType, TFLiteModel, TFLiteQuantization, TFLiteTensorInfo} from './tflite_interpreter';

const WASM_LOADER = 'litert_wasm_compat_internal.js';

interface Runtime {
  wasm: LiteRtWasm;
  environment: ReturnType<LiteRtWasm['LiteRtEnvironment']['create']>;
}

let runtime: Promise<Runtime> | undefined;

/** Loads a .tflite file's bytes into TFLite's interpreter (the wasm module loads once per process). */
export async function loadTFLiteModel(bytes: Uint8Array): Promise<TFLiteModel> {
  runtime ??= startRuntime().catch((e) => {
    runtime = undefined;
    throw e;
  });
  const {wasm, environment} = await runtime;
  return compileTFLiteModel(wasm, environment, bytes);
}

async function startRuntime(): Promise<Runtime> {
  const file = path.join(path.dirname(require.resolve('@litertjs/core/package.json')), 'wasm', WASM_LOADER);
  const factory = loadModuleFactory(file);
  const wasm = await factory({printErr: forwardDiagnostics});
  // No WebGPU device: the models run on LiteRT's CPU path (XNNPACK and TFLite's builtin kernels).
  return {wasm, environment: wasm.LiteRtEnvironment.create(null)};
}

type ModuleFactory = (options: {printErr: (line: string) => void}) => Promise<LiteRtWasm>;

function loadModuleFactory(file: string): ModuleFactory {
  const params = ['exports', 'module', 'require', '__filename', '__dirname'];
  const body = vm.compileFunction(fs.readFileSync(file, 'utf8'), params, {filename: file});
  const module = {exports: {} as unknown};
  body(module.exports, module, createRequire(file), file, path.dirname(file));
  if (typeof module.exports !== 'function') {
    throw new Error(`loadTFLiteModel: ${file} did not export LiteRT's module factory; is @litertjs/core 2.5.x installed?`);
  }
  return module.exports as ModuleFactory;
}

/** LiteRT logs every environment and delegate it creates at INFO level: keep only the rest. */
function forwardDiagnostics(line: string) {
  if (line.startsWith('INFO: ') || line.includes('NPU accelerator could not be loaded')) return;
  console.error(`[LiteRT] ${line}`);
}
