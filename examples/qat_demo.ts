/**
 * Quantization-aware training (QAT) demo on the cpu backend: `npm run demo`.
 *
 * A 2-layer MLP fits a synthetic 2-D regression task. The input, both weight matrices and the
 * hidden activations go through `fakeQuantWithMinMaxVars`, each with its own trainable [min, max]
 * range (tf.Variables). The op's gradient passes the gradient straight through inside the range
 * and sends the gradient of clipped elements to min / max, so the optimizer learns the ranges:
 * the input range starts too narrow ([-1, 1] for data in [-2, 2]) and widens while the loss drops.
 */
import * as tf from '@tensorflow/tfjs';

import {fakeQuantWithMinMaxVars} from '../src';

const NUM_BITS = 8;
const STEPS = 300;
const LOG_EVERY = 50;
const N = 512;
const HIDDEN = 32;

/** A quantizer with a learned range. */
class LearnedRange {
  readonly min: tf.Variable<tf.Rank.R0>;
  readonly max: tf.Variable<tf.Rank.R0>;

  constructor(readonly name: string, min: number, max: number, readonly numBits = NUM_BITS) {
    this.min = tf.variable(tf.scalar(min), true, `${name}/min`);
    this.max = tf.variable(tf.scalar(max), true, `${name}/max`);
  }

  apply<T extends tf.Tensor>(x: T): T {
    return fakeQuantWithMinMaxVars(x, this.min, this.max, this.numBits);
  }

  toString(): string {
    const f = (v: tf.Variable) => v.dataSync()[0].toFixed(3).padStart(6);
    return `${this.name} [${f(this.min)}, ${f(this.max)}]`;
  }
}

/** Deterministic uniform numbers in [lo, hi) (mulberry32), so every run prints the same. */
function uniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const t0 = Date.now();

  // Data: y = sin(1.5 x0) + 0.5 x1^2 - 0.3 x0 x1 with x in [-2, 2]^2.
  const xs = tf.tensor2d(uniform(N * 2, -2, 2, 1), [N, 2]);
  const ys = tf.tidy(() => {
    const [x0, x1] = tf.split(xs, 2, 1);
    return tf.sin(x0.mul(1.5)).add(x1.square().mul(0.5)).sub(x0.mul(x1).mul(0.3));
  });

  const w1 = tf.variable(tf.tensor2d(uniform(2 * HIDDEN, -0.8, 0.8, 2), [2, HIDDEN]), true, 'w1');
  const b1 = tf.variable(tf.zeros([HIDDEN]), true, 'b1');
  const w2 = tf.variable(tf.tensor2d(uniform(HIDDEN, -0.3, 0.3, 3), [HIDDEN, 1]), true, 'w2');
  const b2 = tf.variable(tf.zeros([1]), true, 'b2');

  const qInput = new LearnedRange('input ', -1, 1);
  const qW1 = new LearnedRange('w1    ', -0.8, 0.8);
  const qAct = new LearnedRange('hidden', -1, 1);
  const qW2 = new LearnedRange('w2    ', -0.3, 0.3);
  const quantizers = [qInput, qW1, qAct, qW2];

  const model = (x: tf.Tensor2D): tf.Tensor2D => {
    const h = tf.tanh(qInput.apply(x).matMul(qW1.apply(w1)).add(b1));
    return qAct.apply(h).matMul(qW2.apply(w2)).add(b2);
  };
  const lossFn = () => tf.losses.meanSquaredError(ys, model(xs)) as tf.Scalar;

  const optimizer = tf.train.adam(0.02);
  console.log(`QAT demo: ${NUM_BITS}-bit fake quantization of input, weights and activations, ` +
              `learned ranges, ${STEPS} Adam steps on ${N} samples (backend: ${tf.getBackend()})`);
  const initialLoss = tf.tidy(() => lossFn().dataSync()[0]);
  console.log(`step    0  loss ${initialLoss.toFixed(5)}  ${quantizers.join('  ')}`);

  let loss = initialLoss;
  for (let step = 1; step <= STEPS; step++) {
    const cost = optimizer.minimize(lossFn, true);
    if (cost == null) throw new Error('minimize returned no cost');
    loss = cost.dataSync()[0];
    cost.dispose();
    if (!Number.isFinite(loss)) throw new Error(`loss diverged at step ${step}: ${loss}`);
    if (step % LOG_EVERY === 0) {
      console.log(`step ${String(step).padStart(4)}  loss ${loss.toFixed(5)}  ${quantizers.join('  ')}`);
    }
  }

  const inputRange = [qInput.min.dataSync()[0], qInput.max.dataSync()[0]];
  const seconds = (Date.now() - t0) / 1000;
  console.log(
      `done: loss ${initialLoss.toFixed(4)} -> ${loss.toFixed(4)} in ${STEPS} steps (${seconds.toFixed(1)} s); ` +
      `learned input range [${inputRange[0].toFixed(3)}, ${inputRange[1].toFixed(3)}] ` +
      `(data in [-2, 2], started at [-1, 1])`);
  if (!(loss < initialLoss)) throw new Error('training did not reduce the loss');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
