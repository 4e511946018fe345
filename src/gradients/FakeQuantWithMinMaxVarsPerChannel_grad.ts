import {FakeQuantWithMinMaxVarsPerChannel, FakeQuantWithMinMaxVarsPerChannelGradient} from '../kernel_names';
import {rangeTensorGradConfig} from './FakeQuantWithMinMaxVars_grad';

export const fakeQuantWithMinMaxVarsPerChannelGradConfig = rangeTensorGradConfig(
    FakeQuantWithMinMaxVarsPerChannel, FakeQuantWithMinMaxVarsPerChannelGradient);
