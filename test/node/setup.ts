/** Jest setup: the union tfjs package (core gradients included), cpu backend, leak checks on. */
import * as tf from '@tensorflow/tfjs';
import '../../src';

tf.env().set('IS_TEST', true);

beforeAll(async () => {
  await tf.setBackend('cpu');
});
