/** Helpers shared by the layers of `tfjs-fake-quant/layers`. */
import type {Tensor} from '@tensorflow/tfjs-core';
import type {layers, Shape} from '@tensorflow/tfjs-layers';

import {MAX_NUM_BITS, MIN_NUM_BITS} from '../quant/defaults';

/** The constructor arguments every tfjs layer accepts (`name`, `trainable`, `inputShape`, ...). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof layers.Layer>[0]>;

/** The keyword arguments of `Layer.call` (`training` among them). */
// tslint:disable-next-line:no-any
export type Kwargs = {[key: string]: any};

/** The one shape of a single-input layer. */
export function singleShape(inputShape: Shape|Shape[], layerName: string): Shape {
  if (inputShape.length > 0 && Array.isArray(inputShape[0])) {
    if (inputShape.length !== 1) {
      throw new Error(`${layerName} expects a single input, got ${inputShape.length}.`);
    }
    return inputShape[0] as Shape;
  }
  return inputShape as Shape;
}

/** The one tensor of a single-input layer. */
export function singleTensor(inputs: Tensor|Tensor[], layerName: string): Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) {
      throw new Error(`${layerName} expects a single input, got ${inputs.length}.`);
    }
    return inputs[0];
  }
  return inputs;
}

/** The axes 0 .. rank - 2: all but the last (the channel axis of per-channel ranges). */
export function allButLastAxis(rank: number): number[] {
  return Array.from({length: Math.max(rank - 1, 0)}, (_, i) => i);
}

export function assertNumBits(numBits: number, layerName: string, argName = 'numBits'): void {
  if (!Number.isInteger(numBits) || numBits < MIN_NUM_BITS || numBits > MAX_NUM_BITS) {
    throw new Error(
        `${layerName}: ${argName} must be an integer in ${MIN_NUM_BITS}..${MAX_NUM_BITS}, got ${numBits}.`);
  }
}
