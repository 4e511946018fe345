import {FakeQuantWithMinMaxArgsGradient} from '../../kernel_names';
import {FAKE_QUANT_KERNEL_SPECS} from '../kernel_spec';
import {wasmKernelConfig} from './wasm_util';

export const fakeQuantWithMinMaxArgsGradientConfig = wasmKernelConfig(FAKE_QUANT_KERNEL_SPECS[FakeQuantWithMinMaxArgsGradient]);
