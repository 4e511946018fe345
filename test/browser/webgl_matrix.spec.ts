/**
 * The shared backend matrix (test/shared/backend_suite.ts) on webgl (WebGL2 on SwiftShader):
 *   - WEBGL_PACK true with x and dy handed over packed (as training under WEBGL_PACK does: the
 *     kernels read them without unpacking), and range-gradient windows of 2 rows
 *     (setWindowLengthForTests): the totals pass then combines hundreds of windows (thousands for
 *     the large inputs), as 1e6 elements do;
 *   - WEBGL_PACK false with fresh, unpacked inputs and the default windows (about sqrt(rows) rows:
 *     265 windows for the large inputs' 70000 rows).
 * Fewer random runs and a strided tie sweep than on the Node backends: every new shape compiles
 * new shaders, which SwiftShader does slowly.
 */
import {setWindowLengthForTests} from '../../src/kernels/webgl/fake_quant_grad_gpu';
import {describeBackendSuite} from '../shared/backend_suite';
import {inputTensor, tf, useWebGL} from './webgl_setup';

function describeOnWebGL2(pack: boolean): void {
  beforeAll(async () => useWebGL({WEBGL_PACK: pack}));

  it('runs on WebGL2 with float32 render targets', () => {
    expect(tf.getBackend()).toBe('webgl');
    expect(tf.env().getNumber('WEBGL_VERSION')).toBe(2);
    expect(tf.env().getBool('WEBGL_PACK')).toBe(pack);
    expect(tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED')).toBeTrue();
  });

  describeBackendSuite({
    backend: 'webgl', exactSums: false, numRuns: 20, sweep: {levels: 256, perTensorRanges: 2},
    trainingSteps: pack ? 1000 : 30,
    input: (values, shape) => inputTensor(values, shape, pack),
  });
}

describe('webgl2 matrix (WEBGL_PACK true, packed inputs, range sums over windows of 2 rows)', () => {
  beforeAll(() => setWindowLengthForTests(2));
  afterAll(() => setWindowLengthForTests(null));
  describeOnWebGL2(true);
});

describe('webgl2 matrix (WEBGL_PACK false, unpacked inputs, default windows)', () => describeOnWebGL2(false));
