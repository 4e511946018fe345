/**
 * The cpu kernels through the shared backend matrix (test/shared/backend_suite.ts), every output
 * (range sums included) bit for bit, with the properties over the whole float32 line.
 */
import {describeBackendSuite} from '../shared/backend_suite';

// Under Stryker (stryker.config.mjs) fewer random runs and every level up to 10 bits, strided above:
// the full suite is 40 s of each mutant's run; a lighter one can only let more mutants live, never fewer.
const mutationRun = process.env.TFJS_FAKE_QUANT_MUTATION === '1';
describeBackendSuite({
  backend: 'cpu', exactSums: true, numRuns: mutationRun ? 30 : 100, float32Runs: mutationRun ? 100 : 300,
  sweep: {levels: mutationRun ? 1024 : Infinity},
});
