/**
 * Soak: 2,000 quantization-aware training steps (`model.fit` on a `quantizeModel` copy) on the
 * webgl backend, with `tf.memory()` flat: after a warm-up, the number of tensors, their bytes and
 * the GPU memory (textures in use and allocated, pool included) must not grow.
 * A second, shorter run covers learned ranges. A one-layer model, so that it runs in under a
 * minute on SwiftShader.
 */
import {calibrate, fakeQuantLayers, quantizeModel} from '../../src/layers';
import {tf, useWebGL} from './webgl_setup';

interface Snapshot {
  numTensors: number;
  numBytes: number;
  numBytesInGPU: number;
  numBytesInGPUAllocated: number;
}

function snapshot(): Snapshot {
  const m = tf.memory() as tf.MemoryInfo & {numBytesInGPU?: number; numBytesInGPUAllocated?: number};
  return {
    numTensors: m.numTensors,
    numBytes: m.numBytes,
    numBytesInGPU: m.numBytesInGPU ?? -1,
    numBytesInGPUAllocated: m.numBytesInGPUAllocated ?? -1,
  };
}

/**
 * One Dense layer: quantized, it has all three parts (input FakeQuant, FakeQuantWeights, output
 * FakeQuant) at ~190 WebGL programs per training step; a second layer would double the time.
 */
function smallModel(): tf.Sequential {
  return tf.sequential({layers: [
    tf.layers.dense({inputShape: [16], units: 4, kernelInitializer: tf.initializers.glorotUniform({seed: 1})}),
  ]});
}

/** Trains `steps` QAT steps (epochs of `stepsPerEpoch` batches); returns one snapshot per epoch. */
async function soak(mode: 'ema'|'learned', steps: number, stepsPerEpoch: number): Promise<{snapshots: Snapshot[]; losses: number[]}> {
  const batch = 16;
  const x = tf.randomUniform([batch * stepsPerEpoch, 16], -1, 1, 'float32', 3);
  const y = tf.tidy(() => tf.oneHot(tf.argMax(x.slice([0, 0], [-1, 4]), 1), 4).toFloat());
  const float = smallModel();
  const q = quantizeModel(float, {weightBits: 4, activationBits: 4, mode});
  calibrate(q, x);
  // SGD: Adam's per-weight updates would double the programs per step (and the time).
  const optimizer = tf.train.sgd(0.05);
  q.compile({optimizer, loss: 'meanSquaredError'});
  const snapshots: Snapshot[] = [];
  const losses: number[] = [];
  await q.fit(x, y, {
    epochs: steps / stepsPerEpoch,
    batchSize: batch,
    shuffle: false,
    verbose: 0,
    yieldEvery: 'never',
    callbacks: {
      onEpochEnd: (_epoch, logs) => {
        losses.push(logs?.loss as number);
        snapshots.push(snapshot());
      },
    },
  });
  const ranges = fakeQuantLayers(q).map((l) => l.getRange());
  expect(ranges.every((r) => r.min[0] <= 0 && r.max[0] > r.min[0])).toBe(true);
  optimizer.dispose();
  q.dispose();
  float.dispose();
  tf.dispose([x, y]);
  return {snapshots, losses};
}

function expectFlat(snapshots: Snapshot[], warmup: number): void {
  const ref = snapshots[warmup - 1];
  for (let i = warmup; i < snapshots.length; i++) {
    const s = snapshots[i];
    expect({epoch: i + 1, numTensors: s.numTensors, numBytes: s.numBytes})
        .toEqual({epoch: i + 1, numTensors: ref.numTensors, numBytes: ref.numBytes});
    expect({epoch: i + 1, numBytesInGPU: s.numBytesInGPU}).toEqual({epoch: i + 1, numBytesInGPU: ref.numBytesInGPU});
    expect({epoch: i + 1, numBytesInGPUAllocated: s.numBytesInGPUAllocated})
        .toEqual({epoch: i + 1, numBytesInGPUAllocated: ref.numBytesInGPUAllocated});
  }
}

describe('layers soak (webgl)', () => {
  beforeAll(async () => {
    await useWebGL();
  });

  it('2,000 QAT steps (EMA ranges) keep tf.memory() flat', async () => {
    const t0 = performance.now();
    const before = tf.memory().numTensors;
    const {snapshots, losses} = await soak('ema', 2000, 100);
    expect(snapshots.length).toBe(20);
    expectFlat(snapshots, 2);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    expect(tf.memory().numTensors).toBe(before);
    console.warn(`layers soak: 2000 steps in ${((performance.now() - t0) / 1000).toFixed(1)} s, ` +
                 `memory per 100 steps: ${JSON.stringify(snapshots[snapshots.length - 1])}`);
  });

  it('200 QAT steps with learned ranges keep tf.memory() flat', async () => {
    const before = tf.memory().numTensors;
    const {snapshots, losses} = await soak('learned', 200, 25);
    expectFlat(snapshots, 2);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });
});
