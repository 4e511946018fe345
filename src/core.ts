/**
 * What every entry shares: the tfjs-core check, the ops, their gradients and the chained tensor
 * methods, and no kernels (the main entry registers all backends' kernels, `tfjs-fake-quant/cpu`
 * and the other per-backend entries one backend's). Built once (dist/cjs/core.js,
 * dist/esm/core.mjs) and loaded by the entries, not copied into them.
 */
import './tfjs_check';
import './gradients/register';
import './chained_ops';

export * from './kernel_names';
export {quantRange, nudge, type NudgedRange, type QuantRange} from './quant/nudge';
export {fakeQuantWithMinMaxArgs} from './ops/fake_quant_with_min_max_args';
export {fakeQuantWithMinMaxArgsGradient} from './ops/fake_quant_with_min_max_args_gradient';
export {fakeQuantWithMinMaxVars} from './ops/fake_quant_with_min_max_vars';
export {fakeQuantWithMinMaxVarsGradient, type FakeQuantWithMinMaxVarsGradientResult} from './ops/fake_quant_with_min_max_vars_gradient';
export {fakeQuantWithMinMaxVarsPerChannel} from './ops/fake_quant_with_min_max_vars_per_channel';
export {fakeQuantWithMinMaxVarsPerChannelGradient, type FakeQuantWithMinMaxVarsPerChannelGradientResult} from './ops/fake_quant_with_min_max_vars_per_channel_gradient';
