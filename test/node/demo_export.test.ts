/**
 * The demo's export step end to end: `npm run demo` in a tiny configuration (few training digits,
 * one float and one QAT epoch, 8 bits), for the MLP and the conv net. Its --json `tflite` fields
 * are checked against the written file and against TFLite's interpreter run here on the demo's
 * 2,000 test digits; the float weights' size against the architecture's parameter count.
 */
import {spawnSync} from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {splitDigits} from '../../examples/qat/data';
import {loadDigits} from '../../examples/qat/mnist';
import {loadTFLiteModel} from '../../examples/qat/tflite_runtime';

const ROOT = path.resolve(__dirname, '../..');
const TEST_SIZE = 2000;
const SEED = 42;

/** Parameters of the demo's float models, counted layer by layer from their architecture. */
const PARAMETERS = {
  // dense 784 -> 128, dense 128 -> 10 (kernels and biases)
  mlp: (784 * 128 + 128) + (128 * 10 + 10),
  // conv 3x3x1x8 (no bias), BatchNorm (gamma, beta, moving mean and variance) x8, depthwise
  // 3x3x8 (no bias), BatchNorm x8, pointwise 1x1x8x16 + 16, dense 7*7*16 -> 64, dense 64 -> 10
  cnn: 9 * 8 + 4 * 8 + 9 * 8 + 4 * 8 + (8 * 16 + 16) + (784 * 64 + 64) + (64 * 10 + 10),
};

interface DemoJson {
  qat: {[bits: string]: number};
  tflite: {accuracy: number; bytes: number; floatBytes: number};
}

/** The test split the demo uses (the mnist package's digits, the demo's seed). */
function testDigits(): {images: Float32Array, labels: Uint8Array, n: number} {
  return splitDigits(loadDigits(), TEST_SIZE, SEED).test;
}

/** Runs the .tflite file on every test digit; the fraction whose top logit is the label. */
async function interpreterAccuracy(bytes: Uint8Array): Promise<number> {
  const {images, labels, n} = testDigits();
  const model = await loadTFLiteModel(bytes);
  try {
    expect(model.inputs.map((t) => t.dtype)).toEqual(['float32']);
    const [logits] = await model.run([images]);
    expect(logits.length).toBe(n * 10);
    let correct = 0;
    for (let i = 0; i < n; i++) {
      const row = Array.from(logits.subarray(i * 10, (i + 1) * 10));
      if (row.indexOf(Math.max(...row)) === labels[i]) correct++;
    }
    return correct / n;
  } finally {
    model.delete();
  }
}

describe('demo: the QAT 8-bit model as int8 .tflite', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-export-'));
  });
  afterAll(() => fs.rmSync(dir, {recursive: true, force: true}));

  for (const [model, train] of [['mlp', 500], ['cnn', 300]] as const) {
    it(`${model}: --json tflite fields agree with the file and TFLite's interpreter`, async () => {
      const json = path.join(dir, `${model}.json`);
      const tflite = path.join(dir, `${model}.tflite`);
      const run = spawnSync(process.execPath, [
        'scripts/run-ts.js', 'examples/qat_demo.ts', '--model', model, '--train', String(train),
        '--epochs', '1', '--qat-epochs', '1', '--bits', '8', '--json', json, '--tflite-out', tflite,
      ], {cwd: ROOT, encoding: 'utf8', timeout: 400_000});
      const output = `${run.stdout}\n${run.stderr}`;
      expect({status: run.status, output}).toEqual({status: 0, output: expect.stringContaining('int8 .tflite')});
      expect(output).not.toMatch(/tensors still allocated/);

      const result = JSON.parse(fs.readFileSync(json, 'utf8')) as DemoJson;
      const bytes = new Uint8Array(fs.readFileSync(tflite));
      expect(result.tflite.bytes).toBe(bytes.length);
      expect(Buffer.from(bytes.subarray(4, 8)).toString('latin1')).toBe('TFL3');
      expect(result.tflite.floatBytes).toBe(4 * PARAMETERS[model]);
      expect(result.tflite.bytes).toBeLessThanOrEqual(0.3 * result.tflite.floatBytes);

      const accuracy = await interpreterAccuracy(bytes);
      expect(result.tflite.accuracy).toBe(accuracy);
      // Well above chance (10%), so that agreeing with QAT means something even after one epoch.
      expect(accuracy).toBeGreaterThan(0.3);
      // The acceptance bound of the full demo: within 0.3 points of the QAT model.
      expect(Math.abs(accuracy - result.qat['8'])).toBeLessThanOrEqual(0.003);
    }, 600_000);
  }
});
