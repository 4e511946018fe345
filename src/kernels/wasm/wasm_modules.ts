/**
 * The kernels' own WebAssembly (built from assembly/ by scripts/build-wasm.js, bytes embedded in
 * wasm_binaries.ts), instantiated on the wasm backend's memory so that they read and write its
 * heap in place. The SIMD module where the engine validates it, else the scalar one; the JS loops
 * only where neither instantiates (e.g. a backend build whose memory is neither exported nor
 * importable as these modules declare it), so the kernels run wherever the backend does.
 */
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';

import {scalarBase64, simdBase64, simdSharedBase64} from './wasm_binaries';

/** The modules' exports; pointers are byte offsets in the backend's heap, `divide` 0 or 1. */
export interface FakeQuantWasmExports {
  forward(x: number, out: number, n: number, lo: number, hi: number, scaling: number,
          quantZero: number, scale: number, divide: number): void;
  inputGradient(dy: number, x: number, dx: number, n: number, lo: number, hi: number): void;
  gradient(dy: number, x: number, dx: number, n: number, lo: number, hi: number, dMin: number,
           dMax: number): void;
  /** PerChannel's forward: it multiplies by invScale (assembly/steps.ts PER_CHANNEL_DIVIDES). */
  forwardChannels(x: number, out: number, n: number, params: number, period: number): void;
  gradientChannels(dy: number, x: number, dx: number, n: number, params: number, period: number,
                   sums: number): void;
}

export type WasmKernelPath = 'simd'|'scalar'|'js';

export interface WasmKernels {
  path: 'simd'|'scalar';
  /** Elements per vector: per-channel parameters repeat with a period that is a multiple of it. */
  lanes: 1|4;
  exports: FakeQuantWasmExports;
}

type ModuleName = 'simd'|'simdShared'|'scalar';

const BASE64: Record<ModuleName, string> =
    {simd: simdBase64, simdShared: simdSharedBase64, scalar: scalarBase64};

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const chars = atob(text);
  const bytes = new Uint8Array(chars.length);
  for (let i = 0; i < chars.length; i++) bytes[i] = chars.charCodeAt(i);
  return bytes;
}

const compiled = new Map<ModuleName, WebAssembly.Module|null>();

/** Compiled once; null where the engine rejects it (no SIMD, no shared memory, no sync compile). */
function compiledModule(name: ModuleName): WebAssembly.Module|null {
  if (!compiled.has(name)) {
    const bytes = decodeBase64(BASE64[name]);
    let module: WebAssembly.Module|null = null;
    try {
      if (WebAssembly.validate(bytes)) module = new WebAssembly.Module(bytes);
    } catch {
      module = null;
    }
    compiled.set(name, module);
  }
  return compiled.get(name)!;
}

/** The backend's memory: exported by its plain and SIMD builds, created by its threaded one. */
function backendMemory(backend: BackendWasm): WebAssembly.Memory|null {
  const wasm = backend.wasm as unknown as
      {asm?: {memory?: WebAssembly.Memory}, wasmMemory?: WebAssembly.Memory};
  const memory = wasm.asm?.memory ?? wasm.wasmMemory;
  return memory instanceof WebAssembly.Memory ? memory : null;
}

function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

const instances = new WeakMap<WebAssembly.Memory, Map<ModuleName, WasmKernels|null>>();

function instantiate(name: ModuleName, memory: WebAssembly.Memory): WasmKernels|null {
  const module = compiledModule(name);
  if (module == null) return null;
  try {
    const {exports} = new WebAssembly.Instance(module, {env: {memory}});
    return {
      path: name === 'scalar' ? 'scalar' : 'simd',
      lanes: name === 'scalar' ? 1 : 4,
      exports: exports as unknown as FakeQuantWasmExports,
    };
  } catch {
    return null;  // e.g. a memory this module's import does not match
  }
}

/** The kernels of `path` on this backend's memory (one instance per memory), or null. */
function kernelsOnMemory(memory: WebAssembly.Memory, path: 'simd'|'scalar'): WasmKernels|null {
  const name: ModuleName = path === 'scalar' ? 'scalar' : isShared(memory) ? 'simdShared' : 'simd';
  let byName = instances.get(memory);
  if (byName == null) instances.set(memory, byName = new Map());
  if (!byName.has(name)) byName.set(name, instantiate(name, memory));
  return byName.get(name)!;
}

let forcedPath: WasmKernelPath|null = null;

/**
 * Test hook: run every later wasm kernel on `path` ('js': the JS loops), or choose again (null).
 * Forcing a path the engine cannot run throws at the next kernel call.
 */
export function forceWasmKernelPath(path: WasmKernelPath|null): void {
  forcedPath = path;
}

/** The module the kernels run on this backend, or null for the JS loops. */
export function wasmKernels(backend: BackendWasm): WasmKernels|null {
  if (forcedPath === 'js') return null;
  const memory = backendMemory(backend);
  const kernels = memory == null ? null :
      forcedPath != null ? kernelsOnMemory(memory, forcedPath) :
      kernelsOnMemory(memory, 'simd') ?? kernelsOnMemory(memory, 'scalar');
  if (forcedPath != null && kernels == null) {
    throw new Error(`tfjs-fake-quant: the ${forcedPath} wasm kernels cannot run on this engine ` +
                    `or backend (forceWasmKernelPath('${forcedPath}')); force another path or null.`);
  }
  return kernels;
}
