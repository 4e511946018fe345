/**
 * The cpu kernels through the shared backend matrix (test/shared/backend_suite.ts), every output
 * (range sums included) bit for bit, with the properties over the whole float32 line.
 */
import {describeBackendSuite} from '../shared/backend_suite';

// Under Stryker (stryker.config.mjs) every level up to 12 bits, strided above: the full sweep is 28 s
// of each mutant's run; a strided one can only let more mutants live, never fewer.
const mutationRun = process.env.TFJS_FAKE_QUANT_MUTATION === '1';
describeBackendSuite({backend: 'cpu', exactSums: true, numRuns: 100, float32Runs: 300,
                      sweep: {levels: mutationRun ? 4096 : Infinity}});
