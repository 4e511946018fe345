/**
 * The adversarial cases (test/webgpu/adversarial_cases.ts) on the cpu and wasm backends: every
 * class of bad input throws an error naming the op and the argument, every unusual but valid
 * input gives the float32 reference's answer, and no call leaves a tensor behind.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

import {adversarialCases, checkCase} from '../webgpu/adversarial_cases';

for (const backend of ['cpu', 'wasm']) {
  // wasm has no Complex kernel: complex64 arguments are tried on cpu only.
  const cases = adversarialCases({complex64: backend === 'cpu'});
  describe(`adversarial input on ${backend}`, () => {
    beforeAll(async () => {
      // The wasm binary comes from node_modules (no fetch in Node).
      expect(await tf.setBackend(backend)).toBe(true);
    });
    afterAll(async () => {
      await tf.setBackend('cpu');
    });

    for (const c of cases) {
      it(c.label, async () => {
        expect(await checkCase(c)).toBeNull();
      });
    }
  });
}
