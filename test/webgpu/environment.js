/**
 * Jest environment for the webgpu tests: Node's environment plus a WebGPU implementation, Dawn
 * from the npm `webgpu` package (dawn.node), whose `navigator.gpu` and GPU* globals are installed
 * in each test file's global before the file (and so @tensorflow/tfjs-backend-webgpu) loads.
 *
 * Dawn must find a Vulkan driver when it starts: scripts/test-webgpu.js sets VK_DRIVER_FILES and
 * LD_LIBRARY_PATH (SwiftShader from Debian's chromium, or a real GPU's driver) before launching
 * jest, because the dynamic loader reads LD_LIBRARY_PATH only at process start.
 *
 * One Dawn instance per worker process (module scope), shared by the test files it runs.
 */
'use strict';

const {TestEnvironment} = require('jest-environment-node');

let dawn = null;

async function loadDawn() {
  if (dawn == null) {
    // `webgpu` is an ES module: import it natively (this file is loaded outside jest's sandbox).
    const {create, globals} = await import('webgpu');
    dawn = {gpu: create([]), globals};
  }
  return dawn;
}

class WebGPUEnvironment extends TestEnvironment {
  async setup() {
    await super.setup();
    const {gpu, globals} = await loadDawn();
    Object.assign(this.global, globals);
    this.global.navigator = {gpu, userAgent: 'node'};
  }
}

module.exports = WebGPUEnvironment;
