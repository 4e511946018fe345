import {FakeQuantWithMinMaxVars} from '../../kernel_names';
import {FAKE_QUANT_KERNEL_SPECS} from '../kernel_spec';
import {cpuKernelConfig} from './cpu_util';

export const fakeQuantWithMinMaxVarsConfig = cpuKernelConfig(FAKE_QUANT_KERNEL_SPECS[FakeQuantWithMinMaxVars]);
