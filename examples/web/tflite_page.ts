/**
 * TFLite's interpreter in the page: LiteRT.js (npm @litertjs/core), its wasm files served by
 * serve.js from node_modules under litert-wasm/ (no CDN). Same interface as the Node loader
 * (examples/qat/tflite_runtime.ts); LiteRT.js picks the wasm build the browser supports.
 */
import {type LiteRt, loadLiteRt} from '@litertjs/core';

import {compileTFLiteModel, type TFLiteModel} from '../qat/tflite_interpreter';

export {tfliteAccuracy} from '../qat/tflite_interpreter';
export type {TFLiteData, TFLiteDType, TFLiteModel, TFLiteQuantization, TFLiteTensorInfo} from '../qat/tflite_interpreter';

/** Where serve.js serves node_modules/@litertjs/core/wasm/, relative to the page. */
export const LITERT_WASM_PATH = 'litert-wasm/';

let liteRt: Promise<LiteRt> | undefined;

/** Loads a .tflite file's bytes into TFLite's interpreter (LiteRT loads once per page). */
export async function loadTFLiteModel(bytes: Uint8Array): Promise<TFLiteModel> {
  liteRt ??= loadLiteRt(new URL(LITERT_WASM_PATH, location.href).href).catch((e) => {
    liteRt = undefined;
    throw e;
  });
  const runtime = await liteRt;
  return compileTFLiteModel(runtime.liteRtWasm, runtime.getDefaultEnvironment().liteRtEnvironment, bytes);
}
