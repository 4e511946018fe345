import {engine, type GradConfig, type NamedAttrMap, type NamedTensorMap, type Tensor} from '@tensorflow/tfjs-core';

import {FakeQuantWithMinMaxArgs, FakeQuantWithMinMaxArgsGradient} from '../kernel_names';

/** Args' gradient is ArgsGradient with the forward op's attributes, as in TF's array_ops.py. */
export const fakeQuantWithMinMaxArgsGradConfig: GradConfig = {
  kernelName: FakeQuantWithMinMaxArgs,
  inputsToSave: ['inputs'],
  gradFunc: (dy: Tensor|Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [inputs] = saved;
    return {
      inputs: () => engine().runKernel<Tensor>(
          FakeQuantWithMinMaxArgsGradient, {gradients: dy as Tensor, inputs} as NamedTensorMap,
          attrs),
    };
  },
};
