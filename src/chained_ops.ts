/**
 * Chained tensor methods (`x.fakeQuantWithMinMaxVars(min, max)`), after tfjs-core's
 * `public/chained_ops`: typed through module augmentation, installed on the Tensor prototype.
 */
import {type Scalar, Tensor, type Tensor1D, type TensorLike} from '@tensorflow/tfjs-core';

import {fakeQuantWithMinMaxArgs} from './ops/fake_quant_with_min_max_args';
import {fakeQuantWithMinMaxVars} from './ops/fake_quant_with_min_max_vars';
import {fakeQuantWithMinMaxVarsPerChannel} from './ops/fake_quant_with_min_max_vars_per_channel';

declare module '@tensorflow/tfjs-core/dist/tensor' {
  interface Tensor {
    fakeQuantWithMinMaxVars<T extends Tensor>(
        this: T, min: Scalar|number, max: Scalar|number, numBits?: number,
        narrowRange?: boolean): T;
    fakeQuantWithMinMaxArgs<T extends Tensor>(
        this: T, min?: number, max?: number, numBits?: number, narrowRange?: boolean): T;
    fakeQuantWithMinMaxVarsPerChannel<T extends Tensor>(
        this: T, min: Tensor1D|TensorLike, max: Tensor1D|TensorLike, numBits?: number,
        narrowRange?: boolean): T;
  }
}

Tensor.prototype.fakeQuantWithMinMaxVars = function<T extends Tensor>(
    this: T, min: Scalar|number, max: Scalar|number, numBits?: number, narrowRange?: boolean): T {
  this.throwIfDisposed();
  return fakeQuantWithMinMaxVars(this, min, max, numBits, narrowRange);
};

Tensor.prototype.fakeQuantWithMinMaxArgs = function<T extends Tensor>(
    this: T, min?: number, max?: number, numBits?: number, narrowRange?: boolean): T {
  this.throwIfDisposed();
  return fakeQuantWithMinMaxArgs(this, min, max, numBits, narrowRange);
};

Tensor.prototype.fakeQuantWithMinMaxVarsPerChannel = function<T extends Tensor>(
    this: T, min: Tensor1D|TensorLike, max: Tensor1D|TensorLike, numBits?: number,
    narrowRange?: boolean): T {
  this.throwIfDisposed();
  return fakeQuantWithMinMaxVarsPerChannel(this, min, max, numBits, narrowRange);
};
