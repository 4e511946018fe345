import {FakeQuantWithMinMaxVarsPerChannelGradient} from '../../kernel_names';
import {FAKE_QUANT_KERNEL_SPECS} from '../kernel_spec';
import {cpuKernelConfig} from './cpu_util';

export const fakeQuantWithMinMaxVarsPerChannelGradientConfig = cpuKernelConfig(FAKE_QUANT_KERNEL_SPECS[FakeQuantWithMinMaxVarsPerChannelGradient]);
