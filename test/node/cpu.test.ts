/**
 * The cpu kernels through the shared backend matrix (test/shared/backend_suite.ts), every output
 * (range sums included) bit for bit, with the properties over the whole float32 line.
 */
import {describeBackendSuite} from '../shared/backend_suite';

describeBackendSuite({backend: 'cpu', exactSums: true, numRuns: 100, float32Runs: 300,
                      sweep: {levels: Infinity}});
