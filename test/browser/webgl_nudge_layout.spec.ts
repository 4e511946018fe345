/**
 * The nudge-parameter texture is read and written by name (NUDGE_PARAMS, nudge_glsl.ts), not by
 * counted indices: NudgeProgram writes each field at its column `paramIndex(name)`, and the GLSL
 * `NudgedRange` the quantization programs read (unpacked and packed, two channels per texel) holds
 * each field under its own name. Both sides are checked per field against the float32 reference
 * (refNudge), field by field in this test's own order, so a layout whose writer and readers
 * disagree fails here instead of quantizing with the wrong parameter.
 */
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {NudgeProgram} from '../../src/kernels/webgl/fake_quant_gpu';
import {fakeQuantGlsl, type NudgeParam, paramIndex} from '../../src/kernels/webgl/nudge_glsl';
import {refNudge} from '../shared/reference';
import {tf, useWebGL} from './webgl_setup';

// tslint:disable-next-line:no-any
const backend = () => tf.backend() as any;

/** Per-channel ranges: an odd count (the packed texture's padding row), [0, 0] among them. */
const MINS = [-1, 0, 0.3, -5, -2.7];
const MAXS = [2, 0, 7.1, -0.5, 3.3];

/** The fields in an order of this test's own, unrelated to the layout's. */
const FIELDS: NudgeParam[] =
    ['quantZero', 'invScale', 'zeroRange', 'nudgedMax', 'scale', 'nudgedMin'];

type TensorInfo = {dataId: object, shape: number[], dtype: 'float32'};

function run(program: GPGPUProgram, inputs: TensorInfo[], packedOutput = false): TensorInfo {
  return backend().runWebGLProgram(
      program, inputs, 'float32', undefined, /* preventEagerUnpackingOfOutput */ packedOutput);
}

/** The values of a program output (unpacked on read if packed), which is then disposed. */
function readAndDispose(info: TensorInfo): Float32Array {
  const t = tf.engine().makeTensorFromTensorInfo(info);
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return values;
}

/** Runs `f` and checks that no tensor and no backend data (textures of program outputs) leaked. */
function withoutLeaks(f: () => void): () => void {
  return () => {
    const tensors = tf.memory().numTensors;
    const dataIds = backend().numDataIds();
    f();
    expect(tf.memory().numTensors).withContext('tensors').toBe(tensors);
    expect(backend().numDataIds()).withContext('backend data').toBe(dataIds);
  };
}

/**
 * NudgeProgram's parameter texture (packed with `packedOutput`) for MINS/MAXS per channel, or for
 * the scalar range of channel `scalarChannel` per tensor.
 */
function nudgeParams(
    attrs: {numBits: number, narrowRange: boolean}, packedOutput: boolean,
    scalarChannel: number|null = null): {params: TensorInfo, width: number} {
  const perChannel = scalarChannel == null;
  const [min, max] = perChannel ? [tf.tensor1d(MINS), tf.tensor1d(MAXS)] :
                                  [tf.scalar(MINS[scalarChannel]), tf.scalar(MAXS[scalarChannel])];
  const program = new NudgeProgram(
      perChannel ? MINS.length : 1, perChannel, attrs, tf.env().getNumber('WEBGL_VERSION'),
      /* packedRange */ false, packedOutput);
  const params = run(program, [min, max] as unknown as TensorInfo[], packedOutput);
  tf.dispose([min, max]);
  return {params, width: program.outputShape[1]};
}

/** The float32 reference's value of `field` for channel c (zeroRange as 1 / 0). */
function expected(field: NudgeParam, c: number, numBits: number, narrowRange: boolean): number {
  const zeroRange = MINS[c] === 0 && MAXS[c] === 0;
  if (field === 'zeroRange') return zeroRange ? 1 : 0;
  return refNudge(MINS[c], MAXS[c], numBits, narrowRange)[field];
}

/** Fields compared for channel c: all but the float fields of a [0, 0] range (never read). */
function fieldsOf(c: number): NudgeParam[] {
  return MINS[c] === 0 && MAXS[c] === 0 ? ['zeroRange'] : FIELDS;
}

/**
 * A program writing, per channel, the NudgedRange fields read from the parameter texture by
 * name, in FIELDS order (zeroRange as 1.0 / 0.0). Packed, it reads the channel pair's texels with
 * nudgedRangePair.
 */
function fieldsProgram(channels: number, packedParams: boolean): GPGPUProgram {
  const value = (field: NudgeParam) =>
      field === 'zeroRange' ? '(r.zeroRange ? 1.0 : 0.0)' : `r.${field}`;
  const read = packedParams ?
      `NudgedRange first;
        NudgedRange second;
        int odd = channel - channel / 2 * 2;
        nudgedRangePair(channel - odd, first, second);
        NudgedRange r = first;
        if (odd == 1) r = second;` :
      'NudgedRange r = nudgedRange(channel);';
  return {
    variableNames: ['params'],
    outputShape: [channels, FIELDS.length],
    packedInputs: packedParams,
    userCode: `
      ${fakeQuantGlsl(tf.env().getNumber('WEBGL_VERSION'), packedParams)}
      void main() {
        ivec2 rc = getOutputCoords();
        int channel = rc.x;
        ${read}
        float result = 0.0;
        ${FIELDS.map((field, i) => `if (rc.y == ${i}) result = ${value(field)};`)
              .join('\n        ')}
        setOutput(result);
      }
    `,
  };
}

describe('webgl nudge-parameter layout', () => {
  beforeAll(async () => {
    await useWebGL();
  });

  for (const [numBits, narrowRange] of [[8, false], [4, true]] as Array<[number, boolean]>) {
    const attrs = {numBits, narrowRange};
    const label = `numBits ${numBits}, narrowRange ${narrowRange}`;

    for (const packed of [false, true]) {
      it(`NudgeProgram writes each field at its column (${label}, packed ${packed})`,
         withoutLeaks(() => {
           const {params, width} = nudgeParams(attrs, packed);
           const values = readAndDispose(params);
           for (let c = 0; c < MINS.length; c++) {
             for (const field of fieldsOf(c)) {
               expect(values[c * width + paramIndex(field)]).withContext(`channel ${c} ${field}`)
                   .toBe(expected(field, c, numBits, narrowRange));
             }
           }
         }));

      it(`NudgedRange reads each field by name (${label}, packed ${packed})`, withoutLeaks(() => {
        const {params} = nudgeParams(attrs, packed);
        const values = readAndDispose(run(fieldsProgram(MINS.length, packed), [params]));
        backend().disposeIntermediateTensorInfo(params);
        for (let c = 0; c < MINS.length; c++) {
          for (const field of fieldsOf(c)) {
            expect(values[c * FIELDS.length + FIELDS.indexOf(field)])
                .withContext(`channel ${c} ${field}`)
                .toBe(expected(field, c, numBits, narrowRange));
          }
        }
      }));
    }
  }

  it('NudgeProgram reads a scalar range per tensor (Vars, Args)', withoutLeaks(() => {
    const {params} = nudgeParams({numBits: 8, narrowRange: false}, false, /* scalarChannel */ 2);
    const values = readAndDispose(params);
    for (const field of FIELDS) {
      expect(values[paramIndex(field)]).withContext(field).toBe(expected(field, 2, 8, false));
    }
  }));
});
