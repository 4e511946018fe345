/**
 * Jest environment for the suites that run ONNX Runtime: Node's environment plus
 * `globalThis.onnxruntime`, onnxruntime-node loaded outside jest's sandbox. Loaded inside it, its
 * native binding makes output arrays of Node's own realm, which its JavaScript half (then of the
 * sandbox's realm) rejects ("A float32 tensor's data must be type of Float32Array"). Feed it plain
 * arrays (Array.isArray holds across realms); its outputs read as usual.
 */
'use strict';

const {TestEnvironment} = require('jest-environment-node');

class OrtEnvironment extends TestEnvironment {
  async setup() {
    await super.setup();
    this.global.onnxruntime = require('onnxruntime-node');
  }
}

module.exports = OrtEnvironment;
