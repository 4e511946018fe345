/**
 * `FakeQuantWeights`: a wrapper that fake-quantizes the kernel of a Dense, Conv1D, Conv2D,
 * DepthwiseConv2D or Conv2DTranspose layer every time the layer runs, as TF Model Optimization's
 * default weight quantizer (`LastValueQuantizer`): the range is taken from the current kernel
 * (per output channel or for the whole kernel), symmetric and narrow ([-m, m] with m = max |w|,
 * integers -(2^(b-1) - 1) .. 2^(b-1) - 1). The kernel gets the straight-through gradient of
 * `fakeQuantWithMinMaxVars`; the range itself is not differentiated (TF assigns it to a variable).
 */
import {abs, customGrad, type GradSaveFunc, max, maximum, min, minimum, mul, neg, reshape, type Scalar, serialization, type Tensor, type Tensor1D, tidy} from '@tensorflow/tfjs-core';
import {layers} from '@tensorflow/tfjs-layers';
import type {LayerVariable, Shape} from '@tensorflow/tfjs-layers';

import {fakeQuantWithMinMaxVars, fakeQuantWithMinMaxVarsGradient, fakeQuantWithMinMaxVarsPerChannel, fakeQuantWithMinMaxVarsPerChannelGradient} from '../index';
import {DEFAULT_NUM_BITS} from '../quant/defaults';
import {allButLastAxis, assertNumBits, type Kwargs, type LayerArgs} from './common';
import {assertTfjsLayersInternals, KERNEL_LAYERS, kernelVariable, withKernel} from './tfjs_layers_internals';

type Layer = InstanceType<typeof layers.Layer>;

/**
 * Kernel layers quantized per tensor only. Conv2DTranspose's kernel [kh, kw, out, in] has its
 * output channels on axis 2: it is quantized per tensor, as TF Model Optimization does
 * (`Default8BitConvTransposeWeightsQuantizer`, per_axis=False).
 */
const PER_TENSOR_ONLY: ReadonlySet<string> = new Set(['Conv2DTranspose']);

/** Whether kernels of this wrappable layer class can be quantized per output channel. */
export function supportsPerChannel(className: string): boolean {
  return KERNEL_LAYERS.has(className) && !PER_TENSOR_ONLY.has(className);
}

/**
 * The kernel with its output channels as its only last axis, the layout per-channel ranges are
 * taken over: a DepthwiseConv2D kernel [kh, kw, in, mult] becomes [kh, kw, in * mult] (output
 * channel c * mult + m, TFLite's DEPTHWISE_CONV_2D channel order); other kernels are unchanged.
 */
export function kernelChannelsLast(kernel: Tensor, className: string): Tensor {
  if (className !== 'DepthwiseConv2D') return kernel;
  const [kh, kw, inChannels, multiplier] = kernel.shape;
  return reshape(kernel, [kh, kw, inChannels * multiplier]);
}

export interface FakeQuantWeightsArgs extends LayerArgs {
  /** A Dense, Conv1D, Conv2D, DepthwiseConv2D or Conv2DTranspose layer (not yet applied, or built). */
  layer: Layer;
  /** Bit width of the kernel, 2..16. Default 8. */
  numBits?: number;
  /**
   * One range per output channel (the kernel's last axis; DepthwiseConv2D: its last two, in *
   * multiplier channels). Default true, except for Conv2DTranspose (per tensor only).
   */
  perChannel?: boolean;
  /**
   * Narrow range: [-m, m] on 2^b - 1 levels, symmetric around 0 (default true, as TF for weights).
   * With false, TF's two's-complement range: [min(wMin, -wMax * 2^b / (2^b - 2)), max(wMax, -wMin *
   * (2^b - 2) / 2^b)] on 2^b levels.
   */
  narrowRange?: boolean;
}

/** Symmetric range of a kernel: per channel (last axis) or for the whole tensor. */
export function symmetricKernelRange(
    kernel: Tensor, numBits: number, perChannel: boolean, narrowRange: boolean): [Tensor, Tensor] {
  return tidy(() => {
    const axes = perChannel ? allButLastAxis(kernel.rank) : undefined;
    if (narrowRange) {
      const m = max(abs(kernel), axes);
      return [neg(m), m];
    }
    // TF Model Optimization's LastValueQuantize, symmetric and not narrow.
    const ratio = -((2 ** numBits) - 2) / (2 ** numBits);
    const wMin = minimum(min(kernel, axes), 0);
    const wMax = maximum(max(kernel, axes), 0);
    return [minimum(wMin, mul(wMax, 1 / ratio)), maximum(wMax, mul(wMin, ratio))];
  });
}

/**
 * Fake-quantizes `kernel` as `FakeQuantWeights` does: range from the kernel itself (symmetric, per
 * channel or not), then `fakeQuantWithMinMaxVars(PerChannel)`. The gradient is the op's input
 * gradient (straight through inside the nudged range); the range is not differentiated, as TF
 * Model Optimization, where it is assigned to a variable. The range is computed inside the custom
 * gradient's forward function, so none of its ops are recorded for backpropagation.
 */
export function fakeQuantKernel(
    kernel: Tensor, numBits = DEFAULT_NUM_BITS, perChannel = true, narrowRange = true): Tensor {
  // Only the kernel is saved for the backward pass, and the range is recomputed there: a custom
  // gradient must not keep tensors it creates (tfjs reports them as leaks under IS_TEST).
  const quantize = customGrad((...args: Array<Tensor|GradSaveFunc>) => {
    const w = args[0] as Tensor;
    (args[1] as GradSaveFunc)([w]);
    const value = tidy(() => {
      const [lo, hi] = symmetricKernelRange(w, numBits, perChannel, narrowRange);
      return perChannel ?
          fakeQuantWithMinMaxVarsPerChannel(w, lo as Tensor1D, hi as Tensor1D, numBits, narrowRange) :
          fakeQuantWithMinMaxVars(w, lo as Scalar, hi as Scalar, numBits, narrowRange);
    });
    const gradFunc = (dy: Tensor, saved: Tensor[]) => tidy(() => {
      const [x] = saved;
      const [lo, hi] = symmetricKernelRange(x, numBits, perChannel, narrowRange);
      return perChannel ?
          fakeQuantWithMinMaxVarsPerChannelGradient(dy, x, lo as Tensor1D, hi as Tensor1D, numBits, narrowRange)
              .backpropsWrtInput :
          fakeQuantWithMinMaxVarsGradient(dy, x, lo as Scalar, hi as Scalar, numBits, narrowRange).backpropsWrtInput;
    });
    return {value, gradFunc};
  });
  return quantize(kernel);
}

/**
 * Wraps a kernel layer (`KERNEL_LAYERS`) so that it computes with its kernel fake-quantized. The
 * wrapper owns no weights: it exposes the wrapped layer's (kernel, bias) as its own, so
 * `getWeights`/`setWeights`, training and `model.save` see them unchanged.
 */
export class FakeQuantWeights extends layers.Layer {
  /** @nocollapse */
  static className = 'FakeQuantWeights';

  readonly layer: Layer;
  readonly numBits: number;
  readonly perChannel: boolean;
  readonly narrowRange: boolean;

  constructor(args: FakeQuantWeightsArgs) {
    super(args);
    assertTfjsLayersInternals();
    if (args == null || !(args.layer instanceof layers.Layer)) {
      throw new Error('FakeQuantWeights: args.layer must be a tfjs layer.');
    }
    const className = args.layer.getClassName();
    if (!KERNEL_LAYERS.has(className)) {
      throw new Error(
          `FakeQuantWeights wraps ${[...KERNEL_LAYERS].join(', ')} layers, not ${className}.`);
    }
    this.layer = args.layer;
    // The Layer constructor kept args.trainable on the wrapper, whose `trainable` is the layer's.
    if (args.trainable != null) this.layer.trainable = args.trainable;
    this.numBits = args.numBits ?? DEFAULT_NUM_BITS;
    this.perChannel = args.perChannel ?? supportsPerChannel(className);
    this.narrowRange = args.narrowRange ?? true;
    assertNumBits(this.numBits, 'FakeQuantWeights');
    for (const [name, value] of [['perChannel', this.perChannel], ['narrowRange', this.narrowRange]]) {
      if (typeof value !== 'boolean') {
        throw new Error(`FakeQuantWeights: ${name} must be a boolean, got ${JSON.stringify(value)}.`);
      }
    }
    if (this.perChannel && !supportsPerChannel(className)) {
      throw new Error(
          `FakeQuantWeights: ${className} kernels are quantized per tensor (perChannel: false), ` +
          'as TF Model Optimization does.');
    }
    this.supportsMasking = this.layer.supportsMasking;
  }

  get trainable(): boolean {
    return this.layer.trainable;
  }

  set trainable(value: boolean) {
    this.layer.trainable = value;
  }

  get trainableWeights(): LayerVariable[] {
    return this.layer.trainableWeights;
  }

  get nonTrainableWeights(): LayerVariable[] {
    return this.layer.nonTrainableWeights;
  }

  get losses() {
    return this.layer.losses;
  }

  /**
   * Passed on to the wrapped layer, which builds the weights: loading a saved model sets it so
   * that the initializers are skipped, the weights being loaded next (as for tfjs's own layers).
   */
  setFastWeightInitDuringBuild(value: boolean): void {
    super.setFastWeightInitDuringBuild(value);
    this.layer.setFastWeightInitDuringBuild(value);
  }

  build(inputShape: Shape|Shape[]): void {
    if (!this.layer.built) {
      this.layer.build(inputShape);
      this.layer.built = true;
    }
    this.built = true;
  }

  computeOutputShape(inputShape: Shape|Shape[]): Shape|Shape[] {
    return this.layer.computeOutputShape(inputShape);
  }

  call(inputs: Tensor|Tensor[], kwargs: Kwargs): Tensor|Tensor[] {
    return tidy(() => {
      const quantized = this.quantizedKernel();
      return withKernel(this.layer, quantized, () => this.layer.call(inputs, kwargs));
    });
  }

  /** The wrapped layer's kernel variable (e.g. for reading its float values). */
  kernelVariable(): LayerVariable {
    const kernel = kernelVariable(this.layer);
    if (kernel == null) {
      throw new Error(
          `FakeQuantWeights ${this.name}: the wrapped layer is not built yet (apply the wrapper or ` +
          'build its model first).');
    }
    return kernel;
  }

  /** The fake-quantized kernel the layer computes with, in the kernel's own shape. */
  quantizedKernel(): Tensor {
    return tidy(() => {
      const kernel = this.kernelVariable().read();
      const channelsLast = kernelChannelsLast(kernel, this.layer.getClassName());
      const quantized = fakeQuantKernel(channelsLast, this.numBits, this.perChannel, this.narrowRange);
      return reshape(quantized, kernel.shape);
    });
  }

  /**
   * The range the kernel is quantized with now (before TF's nudge): one value per output channel
   * with `perChannel` (in `kernelChannelsLast` order), else one. What an exporter reads.
   */
  getKernelRange(): {min: number[], max: number[]} {
    return tidy(() => {
      const kernel = kernelChannelsLast(this.kernelVariable().read(), this.layer.getClassName());
      const [lo, hi] = symmetricKernelRange(kernel, this.numBits, this.perChannel, this.narrowRange);
      return {min: Array.from(lo.dataSync()), max: Array.from(hi.dataSync())};
    });
  }

  getConfig(): serialization.ConfigDict {
    return {
      layer: {className: this.layer.getClassName(), config: this.layer.getConfig()},
      numBits: this.numBits,
      perChannel: this.perChannel,
      narrowRange: this.narrowRange,
      ...super.getConfig(),
    };
  }

  /** @nocollapse */
  static fromConfig<T extends serialization.Serializable>(
      cls: serialization.SerializableConstructor<T>, config: serialization.ConfigDict): T {
    const {layer: layerConfig, ...rest} = config as {layer: serialization.ConfigDict};
    const layer = deserializeLayer(layerConfig);
    return new cls({...rest, layer} as unknown as serialization.ConfigDict);
  }
}

/**
 * Builds a layer from `{className, config}` with the classes registered in tfjs-core's
 * serialization map (every tfjs-layers class, and ours).
 */
export function deserializeLayer(spec: serialization.ConfigDict): Layer {
  const className = spec != null ? spec['className'] : undefined;
  const config = spec != null ? spec['config'] : undefined;
  if (typeof className !== 'string' || config == null || typeof config !== 'object') {
    throw new Error(`FakeQuantWeights: improper layer config ${JSON.stringify(spec)}.`);
  }
  const entry = serialization.SerializationMap.getMap().classNameMap[className];
  if (entry == null) {
    throw new Error(`FakeQuantWeights: unknown layer class ${className} (not registered).`);
  }
  const [cls, fromConfig] = entry;
  return fromConfig(cls, config as serialization.ConfigDict) as unknown as Layer;
}

serialization.registerClass(FakeQuantWeights);
