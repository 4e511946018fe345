import {FakeQuantWithMinMaxVarsGradient} from '../../kernel_names';
import {FAKE_QUANT_KERNEL_SPECS} from '../kernel_spec';
import {wasmKernelConfig} from './wasm_util';

export const fakeQuantWithMinMaxVarsGradientConfig = wasmKernelConfig(FAKE_QUANT_KERNEL_SPECS[FakeQuantWithMinMaxVarsGradient]);
