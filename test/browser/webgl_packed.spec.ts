/**
 * The webgl kernels on packed x and dy (what matMul, conv and binary ops hand over in training
 * under WEBGL_PACK): no unpack or pack pass runs, forward is 2 programs (nudge, quantize) and the
 * gradient 4 (nudge, input gradient, partial sums, totals; Args 2), and every result equals the
 * float32 reference bit for bit (sign of zero and NaN included; range-gradient sums as the
 * reference's terms added in another order: sumsClose). Packed inputs are made with NaN in their
 * padding lanes (past an odd last or second-to-last dim), which the kernels must ignore, and the
 * packed outputs must keep tfjs's zero padding (checked through a matMul over an odd inner dim). Also: the mixed and rank-7 cases,
 * which keep one conversion pass, and WEBGL_PACK false.
 */
import {fakeQuantWithMinMaxArgs, fakeQuantWithMinMaxArgsGradient, fakeQuantWithMinMaxVars, fakeQuantWithMinMaxVarsGradient, fakeQuantWithMinMaxVarsPerChannel, fakeQuantWithMinMaxVarsPerChannelGradient} from '../../src';
import {firstMismatch, sumsMismatch} from '../shared/compare';
import {refFakeQuantArgs, refFakeQuantArgsGradient, refFakeQuantPerChannel, refFakeQuantPerChannelGradient, refFakeQuantVars, refFakeQuantVarsGradient, refNudge, refRangeGradientTerms} from '../shared/reference';
import {mulberry32} from '../shared/random';
import {makeData} from '../shared/problems';
import {countGpuWork, tf, useWebGL} from './webgl_setup';

const NUDGE = 'NudgeProgram';
const FORWARD = [NUDGE, 'FakeQuantProgram'];
const DX = [NUDGE, 'FakeQuantInputGradientProgram'];
const GRADIENT = [...DX, 'FakeQuantRangeGradientPartialsProgram', 'FakeQuantRangeGradientTotalsProgram'];

// tslint:disable-next-line:no-any
const backend = () => tf.backend() as any;
const isPacked = (t: tf.Tensor) => backend().texData.get(t.dataId).isPacked === true;

/** tfjs's packed layout: [batch, rows, cols] over the last two dims. */
function as3D(shape: number[]): [number, number, number] {
  const r = shape.length;
  return [shape.slice(0, Math.max(0, r - 2)).reduce((a, b) => a * b, 1), r >= 2 ? shape[r - 2] : 1,
          r >= 1 ? shape[r - 1] : 1];
}

/**
 * `values` as a packed texture whose padding lanes (past an odd last or second-to-last dim) hold
 * NaN: tfjs keeps padding at 0 where it can, but kernels reading packed data must not rely on it.
 */
function packedWithNaNPadding(values: Float32Array, shape: number[]): tf.Tensor {
  const [, rows, cols] = as3D(shape);
  return tf.tidy(() => {
    const t = tf.tensor(values, shape);
    const program = {
      variableNames: ['A'], outputShape: as3D(shape), packedInputs: true, packedOutput: true,
      userCode: `
        void main() {
          ivec3 rc = getOutputCoords();
          vec4 v = getA(rc.x, rc.y, rc.z);
          if (rc.z + 1 >= ${cols}) { v.y = NAN; v.w = NAN; }
          if (rc.y + 1 >= ${rows}) { v.z = NAN; v.w = NAN; }
          setOutput(v);
        }`,
    };
    const out = backend().runWebGLProgram(
        program, [{dataId: t.dataId, shape: as3D(shape), dtype: 'float32'}], 'float32', undefined,
        true);
    return tf.engine().makeTensorFromTensorInfo({dataId: out.dataId, shape, dtype: 'float32'});
  });
}

/** Runs `f`, expecting exactly the programs `names` (no pack, unpack, upload) and no read. */
function expectPrograms<T>(f: () => T, names: string[], label: string): T {
  const work = countGpuWork(f);
  expect(work.reads).withContext(label).toBe(0);
  expect(work.names).withContext(label).toEqual(names);
  return work.result;
}

function expectExact(actual: tf.Tensor, expected: Float32Array, shape: number[], label: string) {
  expect(actual.shape).withContext(label).toEqual(shape);
  expect(firstMismatch(actual.dataSync(), expected, /* signOfZero */ true)).withContext(label)
      .toBeNull();
}

/** Each channel's range sum is the reference's terms added in some order (sumsClose). */
function expectSums(actual: tf.Tensor, expected: ArrayLike<number>, terms: Float32Array[], label: string) {
  expect(sumsMismatch(actual.dataSync(), expected, terms)).withContext(label).toBeNull();
}

/**
 * The outputs flow into later packed ops: a matMul over the last dim (odd or even) reads the
 * padding lanes, so it gives the same bits as on a fresh tensor of the reference values only if
 * the padding is 0.
 */
function expectPaddingZero(y: tf.Tensor, expected: Float32Array, label: string) {
  if (y.rank < 2 || y.rank > 3) return;
  tf.tidy(() => {
    const cols = y.shape[y.rank - 1];
    const ones = tf.ones(y.rank === 2 ? [cols, 3] : [y.shape[0], cols, 3]);
    const ours = tf.matMul(y as tf.Tensor2D, ones as tf.Tensor2D);
    const freshInput: tf.Tensor = tf.tensor(expected, y.shape);
    const fresh = tf.matMul(freshInput as tf.Tensor2D, ones as tf.Tensor2D);
    expect(firstMismatch(ours.dataSync(), fresh.dataSync(), true)).withContext(`${label} matMul`)
        .toBeNull();
  });
}

const CHANNEL_RANGES: Array<[number, number]> =
    [[-1.5, 2], [0, 0], [0.3, 7.1], [2.5, -0.5], [-6.6, -0.4], [-25, 20], [-1e-3, 3e-3]];

/** Every op, forward and gradient, on packed x and dy of `shape`: programs and reference. */
function expectAllOpsOnPacked(
    shape: number[], seed: number, gradients: 'withSpecials'|'integers' = 'withSpecials'): void {
  const numBits = 2 + seed % 15;
  const narrowRange = seed % 2 === 1;
  const channels = shape.length === 0 ? 1 : shape[shape.length - 1];
  const ranges = Array.from({length: channels}, (_, c) => CHANNEL_RANGES[(c + seed) % 7]);
  const mins = ranges.map(r => r[0]);
  const maxs = ranges.map(r => r[1]);
  const [min, max] = [-2.5, 3.1];
  const data = makeData(shape, [[min, max]], numBits, narrowRange, seed, gradients);
  const perChannel = makeData(shape, ranges, numBits, narrowRange, seed + 1, gradients);
  const label = `${JSON.stringify(shape)} ${numBits} bits narrow ${narrowRange}`;
  tf.tidy(() => {
    const x = packedWithNaNPadding(data.x, shape);
    const dy = packedWithNaNPadding(data.dy, shape);
    const xc = packedWithNaNPadding(perChannel.x, shape);
    const dyc = packedWithNaNPadding(perChannel.dy, shape);
    // Range tensors already on the GPU, as variables are (an upload would be a program).
    const minT = tf.add(tf.scalar(min), 0) as tf.Scalar;
    const maxT = tf.add(tf.scalar(max), 0) as tf.Scalar;
    const minC = tf.add(tf.tensor1d(mins), 0) as tf.Tensor1D;
    const maxC = tf.add(tf.tensor1d(maxs), 0) as tf.Tensor1D;
    expect([x, dy, xc, dyc].every(isPacked)).withContext(label).toBeTrue();

    const vars = expectPrograms(
        () => fakeQuantWithMinMaxVars(x, minT, maxT, numBits, narrowRange), FORWARD, `Vars ${label}`);
    const varsRef = refFakeQuantVars(data.x, min, max, numBits, narrowRange);
    expectExact(vars, varsRef, shape, `Vars ${label}`);
    expect(isPacked(vars)).withContext('a packed output').toBeTrue();
    expectPaddingZero(vars, varsRef, `Vars ${label}`);
    const varsGrad = expectPrograms(
        () => fakeQuantWithMinMaxVarsGradient(dy, x, minT, maxT, numBits, narrowRange), GRADIENT,
        `VarsGradient ${label}`);
    const varsGradRef = refFakeQuantVarsGradient(data.dy, data.x, min, max, numBits, narrowRange);
    expectExact(varsGrad.backpropsWrtInput, varsGradRef.backpropsWrtInput, shape, `Vars dx ${label}`);
    expectPaddingZero(varsGrad.backpropsWrtInput, varsGradRef.backpropsWrtInput, `Vars dx ${label}`);
    const varsTerms = refRangeGradientTerms(data.dy, data.x, [min], [max], numBits, narrowRange);
    expectSums(varsGrad.backpropWrtMin, [varsGradRef.backpropWrtMin], varsTerms.below, `dMin ${label}`);
    expectSums(varsGrad.backpropWrtMax, [varsGradRef.backpropWrtMax], varsTerms.above, `dMax ${label}`);

    const args = expectPrograms(
        () => fakeQuantWithMinMaxArgs(x, min, max, numBits, narrowRange), FORWARD, `Args ${label}`);
    expectExact(args, refFakeQuantArgs(data.x, min, max, numBits, narrowRange), shape,
                `Args ${label}`);
    const argsGrad = expectPrograms(
        () => fakeQuantWithMinMaxArgsGradient(dy, x, min, max, numBits, narrowRange), DX,
        `ArgsGradient ${label}`);
    expectExact(argsGrad, refFakeQuantArgsGradient(data.dy, data.x, min, max, numBits, narrowRange),
                shape, `Args dx ${label}`);

    if (shape.length === 0) return;  // PerChannel needs a channel dim
    const pc = expectPrograms(
        () => fakeQuantWithMinMaxVarsPerChannel(xc, minC, maxC, numBits, narrowRange), FORWARD,
        `PerChannel ${label}`);
    const pcRef = refFakeQuantPerChannel(perChannel.x, mins, maxs, numBits, narrowRange);
    expectExact(pc, pcRef, shape, `PerChannel ${label}`);
    expectPaddingZero(pc, pcRef, `PerChannel ${label}`);
    const pcGrad = expectPrograms(
        () => fakeQuantWithMinMaxVarsPerChannelGradient(dyc, xc, minC, maxC, numBits, narrowRange),
        GRADIENT, `PerChannelGradient ${label}`);
    const pcGradRef =
        refFakeQuantPerChannelGradient(perChannel.dy, perChannel.x, mins, maxs, numBits, narrowRange);
    expectExact(pcGrad.backpropsWrtInput, pcGradRef.backpropsWrtInput, shape,
                `PerChannel dx ${label}`);
    const pcTerms = refRangeGradientTerms(perChannel.dy, perChannel.x, mins, maxs, numBits, narrowRange);
    expectSums(pcGrad.backpropWrtMin, pcGradRef.backpropWrtMin, pcTerms.below, `PerChannel dMin ${label}`);
    expectSums(pcGrad.backpropWrtMax, pcGradRef.backpropWrtMax, pcTerms.above, `PerChannel dMax ${label}`);
  });
}

describe('webgl kernels on packed x and dy (WEBGL_PACK true)', () => {
  beforeAll(async () => useWebGL({WEBGL_PACK: true}));

  // Ranks 0..6; odd and even last two dims; windows of the per-tensor reduction that start
  // mid-row and mid-batch ([7, 9], [5, 3, 7]).
  const shapes = [
    [], [1], [5], [6], [3, 5], [4, 6], [5, 4], [4, 5], [1, 7], [7, 9], [5, 3, 7], [2, 4, 6],
    [2, 1, 3, 7], [2, 2, 4, 6], [3, 2, 1, 2, 5], [2, 2, 3, 3, 4], [1, 2, 1, 2, 3, 7],
    [2, 1, 2, 2, 4, 6],
  ];
  shapes.forEach((shape, i) => {
    it(`rank ${shape.length} ${JSON.stringify(shape)}: Vars, Args, PerChannel forward and ` +
           'gradient, no unpack or pack pass, bit-exact',
       () => expectAllOpsOnPacked(shape, i));
  });

  it('larger tensors: several reduction windows, more than one texture row', () => {
    for (const [i, shape] of [[70001], [301, 257], [3, 40, 33]].entries()) {
      expectAllOpsOnPacked(shape, 20 + i);
      // Finite sums over hundreds of windows (with NaN gradients every sum is NaN).
      expectAllOpsOnPacked(shape, 30 + i, 'integers');
    }
  });

  it('x and dy uploaded packed (as the benchmark stores them), 1-D', () => {
    const data = makeData([999], [[-1, 1.5]], 8, false, 5);
    const upload = (values: Float32Array) => {
      const t = tf.tensor1d(values);
      backend().texData.get(t.dataId).isPacked = true;
      backend().uploadToGPU(t.dataId);
      return t;
    };
    const [x, dy] = [upload(data.x), upload(data.dy)];
    const y = expectPrograms(() => fakeQuantWithMinMaxVars(x, -1, 1.5), FORWARD, 'forward');
    expectExact(y, refFakeQuantVars(data.x, -1, 1.5), [999], 'forward');
    const g = expectPrograms(() => fakeQuantWithMinMaxVarsGradient(dy, x, -1, 1.5), GRADIENT, 'grad');
    const ref = refFakeQuantVarsGradient(data.dy, data.x, -1, 1.5);
    expectExact(g.backpropsWrtInput, ref.backpropsWrtInput, [999], 'dx');
    const terms = refRangeGradientTerms(data.dy, data.x, [-1], [1.5]);
    expectSums(g.backpropWrtMin, [ref.backpropWrtMin], terms.below, 'dMin');
    expectSums(g.backpropWrtMax, [ref.backpropWrtMax], terms.above, 'dMax');
    tf.dispose([x, dy, y, g.backpropsWrtInput, g.backpropWrtMin, g.backpropWrtMax]);
  });

  it('mixed inputs: packed dy with x unpacked on the GPU unpacks dy (one pass); with x still ' +
         'on the CPU uploads x packed (no conversion)',
     () => {
       const shape = [6, 5];
       const data = makeData(shape, [[-1, 1.5]], 8, false, 9);
       const ref = refFakeQuantVarsGradient(data.dy, data.x, -1, 1.5);
       tf.tidy(() => {
         const dy = packedWithNaNPadding(data.dy, shape);
         const xGpu = tf.tensor(data.x, shape);
         backend().uploadToGPU(xGpu.dataId);
         expect(isPacked(xGpu)).toBeFalse();
         const g1 = expectPrograms(
             () => fakeQuantWithMinMaxVarsGradient(dy, xGpu, -1, 1.5),
             [NUDGE, 'UnpackProgram', ...GRADIENT.slice(1)], 'packed dy, unpacked x');
         expectExact(g1.backpropsWrtInput, ref.backpropsWrtInput, shape, 'unpacked x');
         expect(isPacked(g1.backpropsWrtInput)).toBeFalse();
         const xCpu = tf.tensor(data.x, shape);
         const g2 = expectPrograms(
             () => fakeQuantWithMinMaxVarsGradient(dy, xCpu, -1, 1.5),
             // The upload runs inside the input-gradient program's runWebGLProgram.
             [NUDGE, 'FakeQuantInputGradientProgram', 'EncodeMatrixPackedProgram',
              ...GRADIENT.slice(2)],
             'packed dy, CPU x');
         expectExact(g2.backpropsWrtInput, ref.backpropsWrtInput, shape, 'CPU x');
         const terms = refRangeGradientTerms(data.dy, data.x, [-1], [1.5]);
         expectSums(g2.backpropWrtMin, [ref.backpropWrtMin], terms.below, 'dMin');
         expectSums(g2.backpropWrtMax, [ref.backpropWrtMax], terms.above, 'dMax');
       });
     });

  it('a CPU-resident x uploaded packed through its [batch, rows, cols] view stays usable as itself',
     () => {
       for (const shape of [[30], [2, 2, 3, 5], [3, 1, 7]]) {
         const data = makeData(shape, [[-1, 1.5]], 8, false, 17);
         tf.tidy(() => {
           const dy = packedWithNaNPadding(data.dy, shape);
           const x = tf.tensor(data.x, shape);
           fakeQuantWithMinMaxVarsGradient(dy, x, -1, 1.5);
           expect(isPacked(x)).withContext(`${shape}: uploaded packed`).toBeTrue();
           // Later ops see x with its own shape and values.
           expect(firstMismatch(x.dataSync(), data.x, true)).withContext(`${shape}: read`).toBeNull();
           const plusOne = Float32Array.from(data.x, (v) => Math.fround(v + 1));
           expect(firstMismatch(tf.add(x, 1).dataSync(), plusOne, true)).withContext(`${shape}: add`).toBeNull();
           const last = shape[shape.length - 1];
           const rowSums = tf.sum(x, -1).dataSync();
           for (let i = 0; i < rowSums.length; i++) {
             const row = data.x.subarray(i * last, (i + 1) * last).reduce((a, b) => a + b, 0);
             // The data holds NaN and infinities: those rows must give the same NaN / infinity.
             const ok = Number.isFinite(row) ? Math.abs(rowSums[i] - row) < 1e-4 :
                                               Object.is(rowSums[i], row) || (isNaN(row) && isNaN(rowSums[i]));
             expect(ok).withContext(`${shape}: sum of row ${i} is ${rowSums[i]}, want ${row}`).toBeTrue();
           }
           expect(tf.reshape(x, [-1]).shape).toEqual([data.x.length]);
           expect(firstMismatch(tf.reshape(x, [-1]).dataSync(), data.x, true)).toBeNull();
         });
       }
     });

  it('rank 7 (beyond tfjs\'s packed shaders): one unpack pass per packed input, unpacked output',
     () => {
       const shape = [3, 2, 1, 2, 3, 2, 5];
       const data = makeData(shape, [[-1, 1.5]], 8, false, 13);
       tf.tidy(() => {
         const packed = (values: Float32Array) => tf.reshape(tf.mul(tf.tensor2d(values, [36, 10]), 1), shape);
         const [x, dy] = [packed(data.x), packed(data.dy)];
         expect(isPacked(x) && isPacked(dy) && x.rank === 7).toBeTrue();
         const y = expectPrograms(() => fakeQuantWithMinMaxVars(x, -1, 1.5),
                                  [NUDGE, 'UnpackProgram', 'FakeQuantProgram'], 'rank 7 forward');
         expectExact(y, refFakeQuantVars(data.x, -1, 1.5), shape, 'rank 7 forward');
         const g = expectPrograms(
             () => fakeQuantWithMinMaxVarsGradient(dy, x, -1, 1.5),
             [NUDGE, 'UnpackProgram', 'UnpackProgram', ...GRADIENT.slice(1)], 'rank 7 gradient');
         expectExact(g.backpropsWrtInput, refFakeQuantVarsGradient(data.dy, data.x, -1, 1.5)
                                              .backpropsWrtInput, shape, 'rank 7 dx');
       });
     });

  it('WEBGL_PACK false: packed inputs are unpacked (one pass), unpacked programs and outputs', () => {
    const shape = [4, 7];
    const data = makeData(shape, [[-1, 1.5]], 8, false, 17);
    tf.tidy(() => {
      const x = packedWithNaNPadding(data.x, shape);
      tf.env().set('WEBGL_PACK', false);
      try {
        const y = expectPrograms(() => fakeQuantWithMinMaxVars(x, -1, 1.5),
                                 [NUDGE, 'UnpackProgram', 'FakeQuantProgram'], 'forward');
        expect(isPacked(y)).toBeFalse();
        expectExact(y, refFakeQuantVars(data.x, -1, 1.5), shape, 'forward');
      } finally {
        tf.env().set('WEBGL_PACK', true);
      }
    });
  });

  it('packed training steps: gradients through tf.grads, memory back to its baseline', () => {
    const shape = [33, 7];
    const data = makeData(shape, [[-1, 1.5]], 8, false, 19);
    const finite = data.x.map(v => isFinite(v) ? v : 0);
    const w = tf.tensor(Float32Array.from(finite, (_, i) => (i % 9) - 4), shape);
    const x = tf.tensor(finite, shape);
    const min = tf.variable(tf.tensor1d([-1, 0, -2, 0.5, -1, -1, -3]));
    const max = tf.variable(tf.tensor1d([1, 0, 2, 3, 1, 1.5, 3]));
    const optimizer = tf.train.sgd(0.01);
    // tf.mul(x, 1) and the weights product hand packed tensors to the op and its gradient.
    const loss = () => tf.sum(tf.mul(fakeQuantWithMinMaxVarsPerChannel(tf.mul(x, 1), min, max), w)) as tf.Scalar;
    optimizer.minimize(loss);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) optimizer.minimize(loss);
    expect(tf.memory().numTensors).toBe(before);
    const [gx] = tf.grads((a: tf.Tensor) =>
        tf.sum(tf.mul(fakeQuantWithMinMaxVarsPerChannel(tf.mul(a, 1), min, max), w)))([x]);
    const ref = refFakeQuantPerChannelGradient(
        w.dataSync(), finite, min.dataSync(), max.dataSync());
    expect(firstMismatch(gx.dataSync(), ref.backpropsWrtInput, true)).toBeNull();
    tf.dispose([w, x, min, max, gx]);
    optimizer.dispose();
  });
});

/**
 * WebGL1 (no integer bit operations: divisions use the hardware quotient, so nudged parameters may
 * be an ulp off) compiles and runs the packed programs too: on values a quarter step from every
 * tie and away from the bounds, outputs are within an ulp of the reference and dx is exact.
 */
describe('webgl1 kernels on packed x and dy', () => {
  beforeAll(async () => useWebGL({WEBGL_VERSION: 1, WEBGL_PACK: true}));
  afterAll(async () => useWebGL());

  it('Vars and PerChannel forward and gradient: no unpack or pack pass', () => {
    const shape = [3, 7, 9];
    const [min, max] = [-1.2, 2.3];
    const n = refNudge(min, max, 8, false);
    const rand = mulberry32(29);
    const size = shape.reduce((a, b) => a * b, 1);
    const x = Float32Array.from({length: size}, () => n.nudgedMin + (Math.floor(rand() * 240) + 5.25) * n.scale);
    const dy = Float32Array.from({length: size}, () => rand() - 0.5);
    const close = (a: ArrayLike<number>, b: ArrayLike<number>) =>
        Array.from(a).every((v, i) => Math.abs(v - b[i]) <= 2 ** -20 * (1 + Math.abs(b[i])));
    tf.tidy(() => {
      const xt = packedWithNaNPadding(x, shape);
      const dyt = packedWithNaNPadding(dy, shape);
      const y = expectPrograms(() => fakeQuantWithMinMaxVars(xt, min, max), FORWARD, 'Vars');
      expect(close(y.dataSync(), refFakeQuantVars(x, min, max))).toBeTrue();
      const g = expectPrograms(() => fakeQuantWithMinMaxVarsGradient(dyt, xt, min, max), GRADIENT,
                               'VarsGradient');
      const ref = refFakeQuantVarsGradient(dy, x, min, max);
      expectExact(g.backpropsWrtInput, ref.backpropsWrtInput, shape, 'webgl1 dx');
      expectSums(g.backpropWrtMin, [ref.backpropWrtMin], refRangeGradientTerms(dy, x, [min], [max]).below,
                 'webgl1 dMin');
      const mins = tf.add(tf.fill([9], min), 0) as tf.Tensor1D;
      const maxs = tf.add(tf.fill([9], max), 0) as tf.Tensor1D;
      const pc = expectPrograms(() => fakeQuantWithMinMaxVarsPerChannel(xt, mins, maxs), FORWARD,
                                'PerChannel');
      expect(close(pc.dataSync(), refFakeQuantPerChannel(x, Array(9).fill(min), Array(9).fill(max))))
          .toBeTrue();
    });
  });
});
