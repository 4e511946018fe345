import {FakeQuantWithMinMaxVarsPerChannel} from '../../kernel_names';
import {FAKE_QUANT_KERNEL_SPECS} from '../kernel_spec';
import {cpuKernelConfig} from './cpu_util';

export const fakeQuantWithMinMaxVarsPerChannelConfig = cpuKernelConfig(FAKE_QUANT_KERNEL_SPECS[FakeQuantWithMinMaxVarsPerChannel]);
