import type {KernelConfig} from '@tensorflow/tfjs-core';

import {registerKernelsOnce} from '../../registration';

import {fakeQuantWithMinMaxArgsConfig} from './FakeQuantWithMinMaxArgs';
import {fakeQuantWithMinMaxArgsGradientConfig} from './FakeQuantWithMinMaxArgsGradient';
import {fakeQuantWithMinMaxVarsConfig} from './FakeQuantWithMinMaxVars';
import {fakeQuantWithMinMaxVarsGradientConfig} from './FakeQuantWithMinMaxVarsGradient';
import {fakeQuantWithMinMaxVarsPerChannelConfig} from './FakeQuantWithMinMaxVarsPerChannel';
import {fakeQuantWithMinMaxVarsPerChannelGradientConfig} from './FakeQuantWithMinMaxVarsPerChannelGradient';

export const cpuKernelConfigs: KernelConfig[] = [
  fakeQuantWithMinMaxArgsConfig,
  fakeQuantWithMinMaxArgsGradientConfig,
  fakeQuantWithMinMaxVarsConfig,
  fakeQuantWithMinMaxVarsGradientConfig,
  fakeQuantWithMinMaxVarsPerChannelConfig,
  fakeQuantWithMinMaxVarsPerChannelGradientConfig,
];

registerKernelsOnce(cpuKernelConfigs);
