import type {GradConfig} from '@tensorflow/tfjs-core';

import {registerGradientsOnce} from '../registration';

import {fakeQuantWithMinMaxArgsGradConfig} from './FakeQuantWithMinMaxArgs_grad';
import {fakeQuantWithMinMaxVarsGradConfig} from './FakeQuantWithMinMaxVars_grad';
import {fakeQuantWithMinMaxVarsPerChannelGradConfig} from './FakeQuantWithMinMaxVarsPerChannel_grad';

export const gradConfigs: GradConfig[] = [
  fakeQuantWithMinMaxArgsGradConfig,
  fakeQuantWithMinMaxVarsGradConfig,
  fakeQuantWithMinMaxVarsPerChannelGradConfig,
];

registerGradientsOnce(gradConfigs);
