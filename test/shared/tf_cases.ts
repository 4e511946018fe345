/**
 * TensorFlow's own fake-quant test cases, transcribed as data.
 *
 * C++ kernel tests: `tensorflow/core/kernels/fake_quant_ops_test.cc`,
 * tensorflow/tensorflow@0bec9a8a (104 TEST_Fs: Args 24, ArgsGradient 4,
 * Vars 19, VarsGradient 5, PerChannel 27, PerChannelGradient 25).
 * Numbers are the literals of the .cc file (`-0.1f` -> `-0.1`, `-0.00f` -> `-0.00`).
 *
 * The C++ gradient tests feed random upstream gradients (AddRandomInput) and
 * assert a structural pattern: which elements pass through (`grad_flat(i)`),
 * which are 0, and which sum into backprop_wrt_min / backprop_wrt_max. Here the
 * upstream gradients are fixed to 1..n and the expected arrays were written by
 * hand from that pattern (e.g. `{0.0f, grad_flat(1), ..., 0.0f}` -> [0, 2, ..., 0],
 * `grad_flat(0) + grad_flat(4) + ... + grad_flat(20)` -> 1+5+9+13+17+21 = 66).
 *
 * XLA tests: `tensorflow/compiler/tests/fake_quant_ops_test.py`,
 * tensorflow/tensorflow@379b8fb2 (16 parameter sets, each run for Args,
 * ArgsGradient, Vars and VarsGradient; inputs/expected derived by formula).
 *
 * Doc/issue cases: outputs quoted in /work/shared/docs/tf_fake_quant_semantics.md
 * §7.1 "Docs and issues".
 */

export interface TfForwardCase {
  name: string;
  op: 'Args' | 'Vars' | 'PerChannel';
  numBits: number;
  narrowRange: boolean;
  min: number | number[];
  max: number | number[];
  shape: number[];
  inputs: number[];
  expected: number[];
  /** true for the atol = rtol = 0 SymmetricRangeZeroInput tests (and exact-zero doc cases). */
  exact: boolean;
  /** Where the case comes from (doc cases only). */
  source?: string;
  /** The quoted output came from a pre-2021 ("legacy" formula) TF build; bits may differ in the last place. */
  legacyBits?: boolean;
  /** Set only when the reference is known to disagree with this case (none at present). */
  knownDifference?: string;
}

export interface TfGradientCase {
  name: string;
  op: 'Args' | 'Vars' | 'PerChannel';
  numBits: number;
  narrowRange: boolean;
  min: number | number[];
  max: number | number[];
  shape: number[];
  inputs: number[];
  /** Upstream gradients; TF uses random values, fixed here to 1..n. */
  gradients: number[];
  expectedBackprops: number[];
  expectedWrtMin?: number | number[];
  expectedWrtMax?: number | number[];
  /** Set only when the reference is known to disagree with this case (none at present). */
  knownDifference?: string;
}

// ---------------------------------------------------------------------------
// Forward cases (fake_quant_ops_test.cc)
// ---------------------------------------------------------------------------

const ARGS_FORWARD: TfForwardCase[] = [
  // TEST_F(QuantOpsTest, WithArgsSymmetricRangeZeroInput_RegularRange)
  {name: 'WithArgsSymmetricRangeZeroInput_RegularRange', op: 'Args', numBits: 8, narrowRange: false,
   min: -10.0, max: 10.0, shape: [2, 3],
   inputs: [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
   expected: [0.0, 0.0, 0.0, 0.0, 0.0, 0.0], exact: true},
  // TEST_F(QuantOpsTest, WithArgsSymmetricRangeZeroInput_NarrowRange)
  {name: 'WithArgsSymmetricRangeZeroInput_NarrowRange', op: 'Args', numBits: 8, narrowRange: true,
   min: -10.0, max: 10.0, shape: [2, 3],
   inputs: [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
   expected: [0.0, 0.0, 0.0, 0.0, 0.0, 0.0], exact: true},
  // TEST_F(QuantOpsTest, WithArgsNoNudging_RegularRange)
  {name: 'WithArgsNoNudging_RegularRange', op: 'Args', numBits: 8, narrowRange: false,
   min: -10.0, max: 53.75, shape: [2, 3],
   inputs: [-10.1, -10.0, -9.9, -9.75, 53.75, 53.8],
   expected: [-10.0, -10.0, -10.0, -9.75, 53.75, 53.75], exact: false},
  // TEST_F(QuantOpsTest, WithArgsNoNudging_NarrowRange)
  {name: 'WithArgsNoNudging_NarrowRange', op: 'Args', numBits: 8, narrowRange: true,
   min: -10.0, max: 53.5, shape: [2, 3],
   inputs: [-10.1, -10.0, -9.9, -9.75, 53.5, 53.6],
   expected: [-10.0, -10.0, -10.0, -9.75, 53.5, 53.5], exact: false},
  // TEST_F(QuantOpsTest, WithArgsNudgedDown_RegularRange)
  {name: 'WithArgsNudgedDown_RegularRange', op: 'Args', numBits: 8, narrowRange: false,
   min: -0.1, max: 63.65, shape: [2, 3],
   inputs: [-0.1, 0.0, 0.1, 0.25, 63.75, 63.8],
   expected: [0.0, 0.0, 0.0, 0.25, 63.75, 63.75], exact: false},
  // TEST_F(QuantOpsTest, WithArgsNudgedDown_NarrowRange)
  {name: 'WithArgsNudgedDown_NarrowRange', op: 'Args', numBits: 8, narrowRange: true,
   min: -0.1, max: 63.4, shape: [2, 3],
   inputs: [-0.1, 0.0, 0.1, 0.25, 63.5, 63.6],
   expected: [0.0, 0.0, 0.0, 0.25, 63.5, 63.5], exact: false},
  // TEST_F(QuantOpsTest, WithArgsNudgedUp_RegularRange)
  {name: 'WithArgsNudgedUp_RegularRange', op: 'Args', numBits: 8, narrowRange: false,
   min: -0.1275, max: 63.6225, shape: [2, 3],
   inputs: [-0.26, -0.25, -0.24, 0.0, 63.5, 63.6],
   expected: [-0.25, -0.25, -0.25, 0.0, 63.5, 63.5], exact: false},
  // TEST_F(QuantOpsTest, WithArgsNudgedUp_NarrowRange)
  {name: 'WithArgsNudgedUp_NarrowRange', op: 'Args', numBits: 8, narrowRange: true,
   min: -0.1275, max: 63.3725, shape: [2, 3],
   inputs: [-0.26, -0.25, -0.24, 0.0, 63.25, 63.3],
   expected: [-0.25, -0.25, -0.25, 0.0, 63.25, 63.25], exact: false},
  // TEST_F(QuantOpsTest, WithArgsNudgedZeroIs255_RegularRange)
  {name: 'WithArgsNudgedZeroIs255_RegularRange', op: 'Args', numBits: 8, narrowRange: false,
   min: -63.65, max: 0.1, shape: [2, 3],
   inputs: [-63.8, -63.75, -63.7, -63.5, 0.0, 0.1],
   expected: [-63.75, -63.75, -63.75, -63.5, 0.0, 0.0], exact: false},
  // TEST_F(QuantOpsTest, WithArgsNudgedZeroIs255_NarrowRange)
  {name: 'WithArgsNudgedZeroIs255_NarrowRange', op: 'Args', numBits: 8, narrowRange: true,
   min: -63.4, max: 0.1, shape: [2, 3],
   inputs: [-63.6, -63.5, -63.4, -63.25, 0.0, 0.1],
   expected: [-63.5, -63.5, -63.5, -63.25, 0.0, 0.0], exact: false},
  // TEST_F(QuantOpsTest, WithArgsNoNudging_4Bits_RegularRange)
  {name: 'WithArgsNoNudging_4Bits_RegularRange', op: 'Args', numBits: 4, narrowRange: false,
   min: -6.0, max: 1.5, shape: [2, 3],
   inputs: [-6.1, -6.0, -5.9, -5.5, 1.5, 1.6],
   expected: [-6.0, -6.0, -6.0, -5.5, 1.5, 1.5], exact: false},
  // TEST_F(QuantOpsTest, WithArgsNoNudging_4Bits_NarrowRange)
  {name: 'WithArgsNoNudging_4Bits_NarrowRange', op: 'Args', numBits: 4, narrowRange: true,
   min: -6.0, max: 1.0, shape: [2, 3],
   inputs: [-6.1, -6.0, -5.9, -5.5, 1.0, 1.1],
   expected: [-6.0, -6.0, -6.0, -5.5, 1.0, 1.0], exact: false},
  // TEST_F(QuantOpsTest, WithArgsNudgedDown_4Bits_RegularRange)
  {name: 'WithArgsNudgedDown_4Bits_RegularRange', op: 'Args', numBits: 4, narrowRange: false,
   min: -0.1, max: 7.4, shape: [2, 3],
   inputs: [-0.1, 0.0, 0.1, 0.5, 7.5, 7.6],
   expected: [0.0, 0.0, 0.0, 0.5, 7.5, 7.5], exact: false},
  // TEST_F(QuantOpsTest, WithArgsNudgedDown_4Bits_NarrowRange)
  {name: 'WithArgsNudgedDown_4Bits_NarrowRange', op: 'Args', numBits: 4, narrowRange: true,
   min: -0.1, max: 6.9, shape: [2, 3],
   inputs: [-0.1, 0.0, 0.1, 0.5, 7.0, 7.1],
   expected: [0.0, 0.0, 0.0, 0.5, 7.0, 7.0], exact: false},
  // TEST_F(QuantOpsTest, WithArgsNudgedUp_4Bits_RegularRange)
  {name: 'WithArgsNudgedUp_4Bits_RegularRange', op: 'Args', numBits: 4, narrowRange: false,
   min: -0.4, max: 7.1, shape: [2, 3],
   inputs: [-0.6, -0.5, -0.24, 0.0, 7.0, 7.1],
   expected: [-0.5, -0.5, -0.00, 0.0, 7.0, 7.0], exact: false},
  // TEST_F(QuantOpsTest, WithArgsNudgedUp_4Bits_NarrowRange)
  {name: 'WithArgsNudgedUp_4Bits_NarrowRange', op: 'Args', numBits: 4, narrowRange: true,
   min: -0.4, max: 6.6, shape: [2, 3],
   inputs: [-0.6, -0.5, -0.24, 0.0, 6.5, 6.6],
   expected: [-0.5, -0.5, 0.0, 0.0, 6.5, 6.5], exact: false},
  // TEST_F(QuantOpsTest, WithArgsNudgedZeroIs15_4Bits_RegularRange)
  {name: 'WithArgsNudgedZeroIs15_4Bits_RegularRange', op: 'Args', numBits: 4, narrowRange: false,
   min: -7.3, max: 0.2, shape: [2, 3],
   inputs: [-7.6, -7.5, -7.4, -7.2, 0.0, 0.1],
   expected: [-7.5, -7.5, -7.5, -7.0, 0.0, 0.0], exact: false},
  // TEST_F(QuantOpsTest, WithArgsNudgedZeroIs15_4Bits_NarrowRange)
  {name: 'WithArgsNudgedZeroIs15_4Bits_NarrowRange', op: 'Args', numBits: 4, narrowRange: true,
   min: -6.8, max: 0.2, shape: [2, 3],
   inputs: [-7.1, -7.0, -6.9, -6.7, 0.0, 0.1],
   expected: [-7.0, -7.0, -7.0, -6.5, 0.0, 0.0], exact: false},
  // TEST_F(QuantOpsTest, WithArgsNoNudging_2Bits_RegularRange)
  {name: 'WithArgsNoNudging_2Bits_RegularRange', op: 'Args', numBits: 2, narrowRange: false,
   min: -1.0, max: 0.5, shape: [2, 3],
   inputs: [-1.1, -1.0, -0.9, -0.3, 0.1, 0.6],
   expected: [-1.0, -1.0, -1.0, -0.5, 0.0, 0.5], exact: false},
  // TEST_F(QuantOpsTest, WithArgsNoNudging_2Bits_NarrowRange)
  {name: 'WithArgsNoNudging_2Bits_NarrowRange', op: 'Args', numBits: 2, narrowRange: true,
   min: -1.0, max: 0.0, shape: [2, 3],
   inputs: [-1.1, -1.0, -0.9, -0.3, 0.0, 0.1],
   expected: [-1.0, -1.0, -1.0, -0.5, 0.0, 0.0], exact: false},
  // TEST_F(QuantOpsTest, WithArgsNudgedDown_2Bits_RegularRange)
  {name: 'WithArgsNudgedDown_2Bits_RegularRange', op: 'Args', numBits: 2, narrowRange: false,
   min: -0.1, max: 1.4, shape: [2, 3],
   inputs: [-0.2, 0.1, 0.7, 1.0, 1.3, 1.6],
   expected: [0.0, 0.0, 0.5, 1.0, 1.5, 1.5], exact: false},
  // TEST_F(QuantOpsTest, WithArgsNudgedDown_2Bits_NarrowRange)
  {name: 'WithArgsNudgedDown_2Bits_NarrowRange', op: 'Args', numBits: 2, narrowRange: true,
   min: -0.1, max: 0.9, shape: [2, 3],
   inputs: [-0.1, 0.1, 0.7, 0.9, 1.0, 1.1],
   expected: [-0.0, 0.0, 0.5, 1.0, 1.0, 1.0], exact: false},
  // TEST_F(QuantOpsTest, WithArgsNudgedUp_2Bits_RegularRange)
  {name: 'WithArgsNudgedUp_2Bits_RegularRange', op: 'Args', numBits: 2, narrowRange: false,
   min: -0.4, max: 1.1, shape: [2, 3],
   inputs: [-0.6, -0.5, -0.24, 0.0, 1.0, 1.1],
   expected: [-0.5, -0.5, 0.0, 0.0, 1.0, 1.0], exact: false},
  // TEST_F(QuantOpsTest, WithArgsNudgedUp_2Bits_NarrowRange)
  {name: 'WithArgsNudgedUp_2Bits_NarrowRange', op: 'Args', numBits: 2, narrowRange: true,
   min: -0.4, max: 0.6, shape: [2, 3],
   inputs: [-0.6, -0.5, -0.24, 0.0, 0.5, 0.6],
   expected: [-0.5, -0.5, -0.00, 0.0, 0.5, 0.5], exact: false},
];

const VARS_FORWARD: TfForwardCase[] = [
  // TEST_F(QuantOpsTest, WithVars_ZeroMinAndMax)
  {name: 'WithVars_ZeroMinAndMax', op: 'Vars', numBits: 8, narrowRange: false,
   min: 0.0, max: 0.0, shape: [2, 3],
   inputs: [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
   expected: [0.0, 0.0, 0.0, 0.0, 0.0, 0.0], exact: false},
  // TEST_F(QuantOpsTest, WithVarsSymmetricRangeZeroInput_RegularRange)
  {name: 'WithVarsSymmetricRangeZeroInput_RegularRange', op: 'Vars', numBits: 8, narrowRange: false,
   min: -10.0, max: 10.0, shape: [2, 3],
   inputs: [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
   expected: [0.0, 0.0, 0.0, 0.0, 0.0, 0.0], exact: true},
  // TEST_F(QuantOpsTest, WithVarsSymmetricRangeZeroInput_NarrowRange)
  {name: 'WithVarsSymmetricRangeZeroInput_NarrowRange', op: 'Vars', numBits: 8, narrowRange: true,
   min: -10.0, max: 10.0, shape: [2, 3],
   inputs: [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
   expected: [0.0, 0.0, 0.0, 0.0, 0.0, 0.0], exact: true},
  // TEST_F(QuantOpsTest, WithVarsNoNudging_RegularRange)
  {name: 'WithVarsNoNudging_RegularRange', op: 'Vars', numBits: 8, narrowRange: false,
   min: -10.0, max: 53.75, shape: [2, 3],
   inputs: [-10.1, -10.0, -9.9, -9.75, 53.75, 53.8],
   expected: [-10.0, -10.0, -10.0, -9.75, 53.75, 53.75], exact: false},
  // TEST_F(QuantOpsTest, WithVarsNoNudging_NarrowRange)
  {name: 'WithVarsNoNudging_NarrowRange', op: 'Vars', numBits: 8, narrowRange: true,
   min: -10.0, max: 53.5, shape: [2, 3],
   inputs: [-10.1, -10.0, -9.90, -9.75, 53.5, 53.6],
   expected: [-10.0, -10.0, -10.0, -9.75, 53.5, 53.5], exact: false},
  // TEST_F(QuantOpsTest, WithVarsNudgedDown_RegularRange)
  {name: 'WithVarsNudgedDown_RegularRange', op: 'Vars', numBits: 8, narrowRange: false,
   min: -0.1, max: 63.65, shape: [2, 3],
   inputs: [-0.1, 0.0, 0.1, 0.25, 63.75, 63.8],
   expected: [-0.0, 0.0, 0.0, 0.25, 63.75, 63.75], exact: false},
  // TEST_F(QuantOpsTest, WithVarsNudgedDown_NarrowRange)
  {name: 'WithVarsNudgedDown_NarrowRange', op: 'Vars', numBits: 8, narrowRange: true,
   min: -0.1, max: 63.4, shape: [2, 3],
   inputs: [-0.1, 0.0, 0.1, 0.25, 63.5, 63.6],
   expected: [-0.0, 0.0, 0.0, 0.25, 63.5, 63.5], exact: false},
  // TEST_F(QuantOpsTest, WithVarsNudgedUp_RegularRange)
  {name: 'WithVarsNudgedUp_RegularRange', op: 'Vars', numBits: 8, narrowRange: false,
   min: -0.125, max: 63.625, shape: [2, 3],
   inputs: [-0.26, -0.25, -0.24, 0.0, 63.5, 63.6],
   expected: [-0.25, -0.25, -0.25, 0.0, 63.5, 63.5], exact: false},
  // TEST_F(QuantOpsTest, WithVarsNudgedUp_NarrowRange)
  {name: 'WithVarsNudgedUp_NarrowRange', op: 'Vars', numBits: 8, narrowRange: true,
   min: -0.125, max: 63.375, shape: [2, 3],
   inputs: [-0.26, -0.25, -0.24, 0.0, 63.25, 63.3],
   expected: [-0.25, -0.25, -0.25, 0.0, 63.25, 63.25], exact: false},
  // TEST_F(QuantOpsTest, WithVarsNudgedZeroIs255_RegularRange)
  {name: 'WithVarsNudgedZeroIs255_RegularRange', op: 'Vars', numBits: 8, narrowRange: false,
   min: -63.65, max: 0.1, shape: [2, 3],
   inputs: [-63.80, -63.75, -63.70, -63.5, 0.0, 0.1],
   expected: [-63.75, -63.75, -63.75, -63.5, 0.0, 0.0], exact: false},
  // TEST_F(QuantOpsTest, WithVarsNudgedZeroIs255_NarrowRange)
  {name: 'WithVarsNudgedZeroIs255_NarrowRange', op: 'Vars', numBits: 8, narrowRange: true,
   min: -63.4, max: 0.1, shape: [2, 3],
   inputs: [-63.6, -63.5, -63.4, -63.25, 0.0, 0.1],
   expected: [-63.5, -63.5, -63.5, -63.25, 0.0, 0.0], exact: false},
  // TEST_F(QuantOpsTest, WithVarsNoNudging_4Bits_RegularRange)
  {name: 'WithVarsNoNudging_4Bits_RegularRange', op: 'Vars', numBits: 4, narrowRange: false,
   min: -6.0, max: 1.5, shape: [2, 3],
   inputs: [-6.1, -6.0, -5.9, -5.5, 1.5, 1.6],
   expected: [-6.0, -6.0, -6.0, -5.5, 1.5, 1.5], exact: false},
  // TEST_F(QuantOpsTest, WithVarsNoNudging_4Bits_NarrowRange)
  {name: 'WithVarsNoNudging_4Bits_NarrowRange', op: 'Vars', numBits: 4, narrowRange: true,
   min: -6.0, max: 1.0, shape: [2, 3],
   inputs: [-6.1, -6.0, -5.9, -5.5, 1.0, 1.1],
   expected: [-6.0, -6.0, -6.0, -5.5, 1.0, 1.0], exact: false},
  // TEST_F(QuantOpsTest, WithVarsNudgedDown_4Bits_RegularRange)
  {name: 'WithVarsNudgedDown_4Bits_RegularRange', op: 'Vars', numBits: 4, narrowRange: false,
   min: -0.1, max: 7.4, shape: [2, 3],
   inputs: [-0.1, 0.0, 0.1, 0.5, 7.5, 7.6],
   expected: [-0.0, 0.0, 0.0, 0.5, 7.5, 7.5], exact: false},
  // TEST_F(QuantOpsTest, WithVarsNudgedDown_4Bits_NarrowRange)
  {name: 'WithVarsNudgedDown_4Bits_NarrowRange', op: 'Vars', numBits: 4, narrowRange: true,
   min: -0.1, max: 6.9, shape: [2, 3],
   inputs: [-0.1, 0.0, 0.1, 0.5, 7.0, 7.1],
   expected: [-0.0, 0.0, 0.0, 0.5, 7.0, 7.0], exact: false},
  // TEST_F(QuantOpsTest, WithVarsNudgedUp_4Bits_RegularRange)
  {name: 'WithVarsNudgedUp_4Bits_RegularRange', op: 'Vars', numBits: 4, narrowRange: false,
   min: -0.4, max: 7.1, shape: [2, 3],
   inputs: [-0.6, -0.5, -0.24, 0.0, 7.0, 7.1],
   expected: [-0.5, -0.5, -0.00, 0.0, 7.0, 7.0], exact: false},
  // TEST_F(QuantOpsTest, WithVarsNudgedUp_4Bits_NarrowRange)
  {name: 'WithVarsNudgedUp_4Bits_NarrowRange', op: 'Vars', numBits: 4, narrowRange: true,
   min: -0.4, max: 6.6, shape: [2, 3],
   inputs: [-0.6, -0.5, -0.24, 0.0, 6.5, 6.6],
   expected: [-0.5, -0.5, -0.00, 0.0, 6.5, 6.5], exact: false},
  // TEST_F(QuantOpsTest, WithVarsNudgedZero15_4Bits_RegularRange)
  {name: 'WithVarsNudgedZero15_4Bits_RegularRange', op: 'Vars', numBits: 4, narrowRange: false,
   min: -7.3, max: 0.2, shape: [2, 3],
   inputs: [-7.6, -7.5, -7.4, -7.2, 0.0, 0.1],
   expected: [-7.5, -7.5, -7.5, -7.0, 0.0, 0.0], exact: false},
  // TEST_F(QuantOpsTest, WithVarsNudgedZero15_4Bits_NarrowRange)
  {name: 'WithVarsNudgedZero15_4Bits_NarrowRange', op: 'Vars', numBits: 4, narrowRange: true,
   min: -6.8, max: 0.2, shape: [2, 3],
   inputs: [-7.1, -7.0, -6.9, -6.5, 0.0, 0.1],
   expected: [-7.0, -7.0, -7.0, -6.5, 0.0, 0.0], exact: false},
];

const PER_CHANNEL_FORWARD: TfForwardCase[] = [
  // TEST_F(QuantOpsTest, WithVarsPerChannel_ZeroMinAndMax)
  {name: 'WithVarsPerChannel_ZeroMinAndMax', op: 'PerChannel', numBits: 8, narrowRange: false,
   min: [0.0, 0.0, 0.0, 0.0], max: [0.0, 0.0, 0.0, 0.0], shape: [4],
   inputs: [0.0, 0.0, 0.0, 0.0],
   expected: [0.0, 0.0, 0.0, 0.0], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelSymmetricRangeZeroInput_RegularRange)
  {name: 'WithVarsPerChannelSymmetricRangeZeroInput_RegularRange', op: 'PerChannel', numBits: 8,
   narrowRange: false, min: [-10.0, -10.0, -10.0, -10.0], max: [10.0, 10.0, 10.0, 10.0], shape: [4],
   inputs: [0.0, 0.0, 0.0, 0.0],
   expected: [0.0, 0.0, 0.0, 0.0], exact: true},
  // TEST_F(QuantOpsTest, WithVarsPerChannelSymmetricRangeZeroInput_NarrowRange)
  {name: 'WithVarsPerChannelSymmetricRangeZeroInput_NarrowRange', op: 'PerChannel', numBits: 8,
   narrowRange: true, min: [-10.0, -10.0, -10.0, -10.0], max: [10.0, 10.0, 10.0, 10.0], shape: [4],
   inputs: [0.0, 0.0, 0.0, 0.0],
   expected: [0.0, 0.0, 0.0, 0.0], exact: true},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim1NudgedDown_RegularRange)
  {name: 'WithVarsPerChannelDim1NudgedDown_RegularRange', op: 'PerChannel', numBits: 8, narrowRange: false,
   min: [-0.1, -0.1, -0.1, -0.1], max: [63.65, 63.65, 63.65, 63.65], shape: [4],
   inputs: [-0.1, 0.0, 63.75, 63.8],
   expected: [0.0, 0.0, 63.75, 63.75], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim1NudgedDown_NarrowRange)
  {name: 'WithVarsPerChannelDim1NudgedDown_NarrowRange', op: 'PerChannel', numBits: 8, narrowRange: true,
   min: [-0.1, -0.1, -0.1, -0.1], max: [63.4, 63.4, 63.4, 63.4], shape: [4],
   inputs: [-0.1, 0.0, 63.5, 63.6],
   expected: [0.0, 0.0, 63.5, 63.5], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim1NudgedUp_RegularRange)
  {name: 'WithVarsPerChannelDim1NudgedUp_RegularRange', op: 'PerChannel', numBits: 8, narrowRange: false,
   min: [-0.125, -0.125, -0.125, -0.125], max: [63.625, 63.625, 63.625, 63.625], shape: [4],
   inputs: [-0.26, -0.25, -0.24, 63.6],
   expected: [-0.25, -0.25, -0.25, 63.5], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim1NudgedUp_NarrowRange)
  {name: 'WithVarsPerChannelDim1NudgedUp_NarrowRange', op: 'PerChannel', numBits: 8, narrowRange: true,
   min: [-0.125, -0.125, -0.125, -0.125], max: [63.375, 63.375, 63.375, 63.375], shape: [4],
   inputs: [-0.26, -0.25, -0.24, 63.3],
   expected: [-0.25, -0.25, -0.25, 63.25], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim2NudgedDown_RegularRange)
  {name: 'WithVarsPerChannelDim2NudgedDown_RegularRange', op: 'PerChannel', numBits: 8, narrowRange: false,
   min: [-0.1, -0.1, -0.1], max: [63.65, 63.65, 63.65], shape: [2, 3],
   inputs: [-0.1, 0.0, 0.1, 0.25, 63.75, 63.80],
   expected: [-0.0, 0.0, 0.0, 0.25, 63.75, 63.75], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim2NudgedDown_NarrowRange)
  {name: 'WithVarsPerChannelDim2NudgedDown_NarrowRange', op: 'PerChannel', numBits: 8, narrowRange: true,
   min: [-0.1, -0.1, -0.1], max: [63.4, 63.4, 63.4], shape: [2, 3],
   inputs: [-0.1, 0.0, 0.1, 0.25, 63.5, 63.6],
   expected: [0.0, 0.0, 0.0, 0.25, 63.5, 63.5], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim2NudgedUp_RegularRange)
  {name: 'WithVarsPerChannelDim2NudgedUp_RegularRange', op: 'PerChannel', numBits: 8, narrowRange: false,
   min: [-0.125, -0.125, -0.125], max: [63.625, 63.625, 63.625], shape: [2, 3],
   inputs: [-0.26, -0.25, -0.24, 0.0, 63.5, 63.6],
   expected: [-0.25, -0.25, -0.25, 0.0, 63.5, 63.5], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim2NudgedUp_NarrowRange)
  {name: 'WithVarsPerChannelDim2NudgedUp_NarrowRange', op: 'PerChannel', numBits: 8, narrowRange: true,
   min: [-0.125, -0.125, -0.125], max: [63.375, 63.375, 63.375], shape: [2, 3],
   inputs: [-0.26, -0.25, -0.24, 0.0, 63.25, 63.3],
   expected: [-0.25, -0.25, -0.25, 0.0, 63.25, 63.25], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim4NudgedDown_RegularRange)
  {name: 'WithVarsPerChannelDim4NudgedDown_RegularRange', op: 'PerChannel', numBits: 8, narrowRange: false,
   min: [-0.1, -0.1, -0.1, -0.1], max: [63.65, 63.65, 63.65, 63.65], shape: [1, 2, 3, 4],
   inputs: [-0.1,   0.0,   0.1,   0.25,  0.5,    0.75,
             1.0,   1.25,  1.5,   1.75,  2.0,    2.25,
            63.0,  63.25, 63.5,  63.7,  63.75,  63.8,
            63.9, 100.0, 100.0, 100.0, 100.0, 1000.0],
   expected: [ 0.0,   0.0,   0.0,   0.25,  0.5,    0.75,
               1.0,   1.25,  1.5,   1.75,  2.0,    2.25,
              63.0,  63.25, 63.5,  63.75, 63.75,  63.75,
              63.75, 63.75, 63.75, 63.75, 63.75,  63.75], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim4NudgedDown_NarrowRange)
  {name: 'WithVarsPerChannelDim4NudgedDown_NarrowRange', op: 'PerChannel', numBits: 8, narrowRange: true,
   min: [-0.1, -0.1, -0.1, -0.1], max: [63.4, 63.4, 63.4, 63.4], shape: [1, 2, 3, 4],
   inputs: [-0.1,   0.0,   0.1,   0.25,  0.5,    0.75,
             1.0,   1.25,  1.5,   1.75,  2.0,    2.25,
            63.0,  63.25, 63.3,  63.4,  63.5,   63.6,
            63.7, 100.0, 100.0, 100.0, 100.0, 1000.0],
   expected: [ 0.0,   0.0,   0.0,   0.25,  0.5,    0.75,
               1.0,   1.25,  1.5,   1.75,  2.0,    2.25,
              63.0,  63.25, 63.25, 63.5,  63.5,   63.5,
              63.5,  63.5,  63.5,  63.5,  63.5,   63.5], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim4NudgedUp_RegularRange)
  {name: 'WithVarsPerChannelDim4NudgedUp_RegularRange', op: 'PerChannel', numBits: 8, narrowRange: false,
   min: [-0.125, -0.125, -0.125, -0.125], max: [63.625, 63.625, 63.625, 63.625], shape: [1, 2, 3, 4],
   inputs: [ -0.3,  -0.25, -0.2,   0.0,    0.25,  0.5,
              0.75,  1.0,   1.25,  1.5,    1.75,  2.0,
             63.0,  63.25, 63.4,  63.5,   63.6,  63.7,
            100.0, 100.0, 100.0, 100.0, 100.0, 1000.0],
   expected: [-0.25,  -0.25, -0.25,  0.0,   0.25,   0.5,
               0.75,   1.0,   1.25,  1.5,   1.75,   2.0,
              63.0,  63.25, 63.5,  63.5,  63.5,   63.5,
              63.5,  63.5,  63.5,  63.5,  63.5,   63.5], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim4NudgedUp_NarrowRange)
  {name: 'WithVarsPerChannelDim4NudgedUp_NarrowRange', op: 'PerChannel', numBits: 8, narrowRange: true,
   min: [-0.125, -0.125, -0.125, -0.125], max: [63.375, 63.375, 63.375, 63.375], shape: [1, 2, 3, 4],
   inputs: [ -0.3,  -0.25, -0.2,   0.0,   0.25,   0.5,
              0.75,  1.0,   1.25,  1.5,   1.75,   2.0,
             63.0,  63.2,  63.25, 63.3,  63.4,   63.5,
            100.0, 100.0, 100.0, 100.0, 100.0, 1000.0],
   expected: [ -0.25, -0.25, -0.25,  0.0,   0.25,   0.5,
                0.75,  1.0,   1.25,  1.5,   1.75,   2.0,
               63.0,  63.25, 63.25, 63.25, 63.25,  63.25,
               63.25, 63.25, 63.25, 63.25, 63.25,  63.25], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim1NudgedDown_4Bits_RegularRange)
  {name: 'WithVarsPerChannelDim1NudgedDown_4Bits_RegularRange', op: 'PerChannel', numBits: 4,
   narrowRange: false, min: [-0.1, -0.1, -0.1, -0.1], max: [7.4, 7.4, 7.4, 7.4], shape: [4],
   inputs: [-0.1, 0.0, 7.5, 7.6],
   expected: [0.0, 0.0, 7.5, 7.5], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim1NudgedDown_4Bits_NarrowRange)
  {name: 'WithVarsPerChannelDim1NudgedDown_4Bits_NarrowRange', op: 'PerChannel', numBits: 4,
   narrowRange: true, min: [-0.1, -0.1, -0.1, -0.1], max: [6.9, 6.9, 6.9, 6.9], shape: [4],
   inputs: [-0.1, 0.0, 7.0, 7.1],
   expected: [0.0, 0.0, 7.0, 7.0], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim1NudgedUp_4Bits_RegularRange)
  {name: 'WithVarsPerChannelDim1NudgedUp_4Bits_RegularRange', op: 'PerChannel', numBits: 4,
   narrowRange: false, min: [-0.4, -0.4, -0.4, -0.4], max: [7.1, 7.1, 7.1, 7.1], shape: [4],
   inputs: [-0.6, -0.5, 7.0, 7.1],
   expected: [-0.5, -0.5, 7.0, 7.0], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim1NudgedUp_4Bits_NarrowRange)
  {name: 'WithVarsPerChannelDim1NudgedUp_4Bits_NarrowRange', op: 'PerChannel', numBits: 4,
   narrowRange: true, min: [-0.4, -0.4, -0.4, -0.4], max: [6.6, 6.6, 6.6, 6.6], shape: [4],
   inputs: [-0.6, -0.5, 6.5, 6.6],
   expected: [-0.5, -0.5, 6.5, 6.5], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim2NudgedDown_4Bits_RegularRange)
  {name: 'WithVarsPerChannelDim2NudgedDown_4Bits_RegularRange', op: 'PerChannel', numBits: 4,
   narrowRange: false, min: [-0.1, -0.1, -0.1], max: [7.4, 7.4, 7.4], shape: [2, 3],
   inputs: [-0.1, 0.0, 0.1, 0.5, 7.5, 7.6],
   expected: [0.0, 0.0, 0.0, 0.5, 7.5, 7.5], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim2NudgedDown_4Bits_NarrowRange)
  {name: 'WithVarsPerChannelDim2NudgedDown_4Bits_NarrowRange', op: 'PerChannel', numBits: 4,
   narrowRange: true, min: [-0.1, -0.1, -0.1], max: [6.9, 6.9, 6.9], shape: [2, 3],
   inputs: [-0.1, 0.0, 0.1, 0.5, 7.0, 7.1],
   expected: [0.0, 0.0, 0.0, 0.5, 7.0, 7.0], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim2NudgedUp_4Bits_RegularRange)
  {name: 'WithVarsPerChannelDim2NudgedUp_4Bits_RegularRange', op: 'PerChannel', numBits: 4,
   narrowRange: false, min: [-0.4, -0.4, -0.4], max: [7.1, 7.1, 7.1], shape: [2, 3],
   inputs: [-0.51, -0.5, -0.24, 0.0, 7.0, 7.1],
   expected: [-0.5, -0.5, 0.0, 0.0, 7.0, 7.0], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim2NudgedUp_4Bits_NarrowRange)
  {name: 'WithVarsPerChannelDim2NudgedUp_4Bits_NarrowRange', op: 'PerChannel', numBits: 4,
   narrowRange: true, min: [-0.4, -0.4, -0.4], max: [6.6, 6.6, 6.6], shape: [2, 3],
   inputs: [-0.6, -0.5, -0.24, 0.0, 6.5, 6.6],
   expected: [-0.5, -0.5, 0.0, 0.0, 6.5, 6.5], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim4NudgedDown_4Bits_RegularRange)
  {name: 'WithVarsPerChannelDim4NudgedDown_4Bits_RegularRange', op: 'PerChannel', numBits: 4,
   narrowRange: false, min: [-0.1, -0.1, -0.1, -0.1], max: [7.4, 7.4, 7.4, 7.4], shape: [1, 2, 3, 4],
   inputs: [-0.1,   0.0,   0.1,   0.5,   1.0,    1.5,
             1.5,   2.0,   2.5,   3.0,   3.5,    4.0,
             6.0,   6.5,   7.0,   7.4,   7.5,    7.7,
             7.8, 100.0, 100.0, 100.0, 100.0, 1000.0],
   expected: [ 0.0,   0.0,   0.0,   0.5,   1.0,    1.5,
               1.5,   2.0,   2.5,   3.0,   3.5,    4.0,
               6.0,   6.5,   7.0,   7.5,   7.5,    7.5,
               7.5,   7.5,   7.5,   7.5,   7.5,    7.5], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim4NudgedDown_4Bits_NarrowRange)
  {name: 'WithVarsPerChannelDim4NudgedDown_4Bits_NarrowRange', op: 'PerChannel', numBits: 4,
   narrowRange: true, min: [-0.1, -0.1, -0.1, -0.1], max: [6.9, 6.9, 6.9, 6.9], shape: [1, 2, 3, 4],
   inputs: [-0.1,   0.0,   0.1,   0.5,   1.0,    1.5,
             1.5,   2.0,   2.5,   3.0,   3.5,    4.0,
             6.0,   6.5,   6.8,   6.9,   7.0,    7.1,
             7.2, 100.0, 100.0, 100.0, 100.0, 1000.0],
   expected: [ 0.0,   0.0,   0.0,   0.5,   1.0,    1.5,
               1.5,   2.0,   2.5,   3.0,   3.5,    4.0,
               6.0,   6.5,   7.0,   7.0,   7.0,    7.0,
               7.0,   7.0,   7.0,   7.0,   7.0,    7.0], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim4NudgedUp_4Bits_RegularRange)
  {name: 'WithVarsPerChannelDim4NudgedUp_4Bits_RegularRange', op: 'PerChannel', numBits: 4,
   narrowRange: false, min: [-0.4, -0.4, -0.4, -0.4], max: [7.1, 7.1, 7.1, 7.1], shape: [1, 2, 3, 4],
   inputs: [ -0.6,  -0.5,  -0.4,   0.0,   0.5,    1.0,
              1.5,   2.0,   2.5,   3.0,   3.5,    4.0,
              6.0,   6.5,   6.9,   7.0,   7.1,    7.7,
            100.0, 100.0, 100.0, 100.0, 100.0, 1000.0],
   expected: [ -0.5, -0.5,   -0.5,   0.0,   0.5,    1.0,
                1.5,  2.0,    2.5,   3.0,   3.5,    4.0,
                6.0,  6.5,    7.0,   7.0,   7.0,    7.0,
                7.0,  7.0,    7.0,   7.0,   7.0,    7.0], exact: false},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim4NudgedUp_4Bits_NarrowRange)
  {name: 'WithVarsPerChannelDim4NudgedUp_4Bits_NarrowRange', op: 'PerChannel', numBits: 4,
   narrowRange: true, min: [-0.4, -0.4, -0.4, -0.4], max: [6.6, 6.6, 6.6, 6.6], shape: [1, 2, 3, 4],
   inputs: [ -0.6,  -0.5,  -0.4,   0.0,   0.5,    1.0,
              1.5,   2.0,   2.5,   3.0,   3.5,    4.0,
              5.5,   6.0,   6.4,   6.5,   6.6,    6.7,
            100.0, 100.0, 100.0, 100.0, 100.0, 1000.0],
   expected: [ -0.5 , -0.5,  -0.5,   0.0,   0.5,    1.0,
                1.5,   2.0,   2.5,   3.0,   3.5,    4.0,
                5.5,   6.0,   6.5,   6.5,   6.5,    6.5,
                6.5,   6.5,   6.5,   6.5,   6.5,    6.5], exact: false},
];

/** All 70 forward TEST_Fs of fake_quant_ops_test.cc (Args 24, Vars 19, PerChannel 27), in file order. */
export const TF_FORWARD_CASES: TfForwardCase[] = [...ARGS_FORWARD, ...VARS_FORWARD, ...PER_CHANNEL_FORWARD];

// ---------------------------------------------------------------------------
// Gradient cases (fake_quant_ops_test.cc), upstream gradients fixed to 1..n
// ---------------------------------------------------------------------------

const G6 = [1, 2, 3, 4, 5, 6];
const G4 = [1, 2, 3, 4];
const G24 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24];

const ARGS_GRADIENT: TfGradientCase[] = [
  // TEST_F(QuantOpsTest, WithArgsGradient_RegularRange)
  // expected {0.0f, input_flat(1), input_flat(2), input_flat(3), input_flat(4), 0.0f}
  {name: 'WithArgsGradient_RegularRange', op: 'Args', numBits: 8, narrowRange: false,
   min: -0.125, max: 63.625, shape: [2, 3],
   inputs: [-0.26, -0.25, -0.24, 0.0, 63.5, 63.6], gradients: G6,
   expectedBackprops: [0, 2, 3, 4, 5, 0]},
  // TEST_F(QuantOpsTest, WithArgsGradient_NarrowRange)
  {name: 'WithArgsGradient_NarrowRange', op: 'Args', numBits: 8, narrowRange: true,
   min: -0.125, max: 63.375, shape: [2, 3],
   inputs: [-0.26, -0.25, -0.24, 0.0, 63.25, 63.3], gradients: G6,
   expectedBackprops: [0, 2, 3, 4, 5, 0]},
  // TEST_F(QuantOpsTest, WithArgsGradient_4Bits_RegularRange)
  {name: 'WithArgsGradient_4Bits_RegularRange', op: 'Args', numBits: 4, narrowRange: false,
   min: -0.4, max: 7.1, shape: [2, 3],
   inputs: [-0.6, -0.5, -0.4, 0.0, 7.0, 7.1], gradients: G6,
   expectedBackprops: [0, 2, 3, 4, 5, 0]},
  // TEST_F(QuantOpsTest, WithArgsGradient_4Bits_NarrowRange)
  {name: 'WithArgsGradient_4Bits_NarrowRange', op: 'Args', numBits: 4, narrowRange: true,
   min: -0.4, max: 6.6, shape: [2, 3],
   inputs: [-0.6, -0.5, -0.4, 0.0, 6.5, 6.6], gradients: G6,
   expectedBackprops: [0, 2, 3, 4, 5, 0]},
];

const VARS_GRADIENT: TfGradientCase[] = [
  // TEST_F(QuantOpsTest, WithVarsGradient_ZeroMinAndMax)
  // expected in_flat(0..5) pass-through; wrt_min = wrt_max = 0.0f
  {name: 'WithVarsGradient_ZeroMinAndMax', op: 'Vars', numBits: 8, narrowRange: false,
   min: 0.0, max: 0.0, shape: [2, 3],
   inputs: [0.0, 0.0, 0.0, 0.0, 0.0, 0.0], gradients: G6,
   expectedBackprops: [1, 2, 3, 4, 5, 6], expectedWrtMin: 0, expectedWrtMax: 0},
  // TEST_F(QuantOpsTest, WithVarsGradient_RegularRange)
  // expected {0, in_flat(1..4), 0}; wrt_min = in_flat(0); wrt_max = in_flat(5)
  {name: 'WithVarsGradient_RegularRange', op: 'Vars', numBits: 8, narrowRange: false,
   min: -0.125, max: 63.625, shape: [2, 3],
   inputs: [-0.26, -0.25, -0.24, 0.0, 63.5, 63.6], gradients: G6,
   expectedBackprops: [0, 2, 3, 4, 5, 0], expectedWrtMin: 1, expectedWrtMax: 6},
  // TEST_F(QuantOpsTest, WithVarsGradient_NarrowRange)
  {name: 'WithVarsGradient_NarrowRange', op: 'Vars', numBits: 8, narrowRange: true,
   min: -0.125, max: 63.375, shape: [2, 3],
   inputs: [-0.26, -0.25, -0.24, 0.0, 63.25, 63.3], gradients: G6,
   expectedBackprops: [0, 2, 3, 4, 5, 0], expectedWrtMin: 1, expectedWrtMax: 6},
  // TEST_F(QuantOpsTest, WithVarsGradient_4Bits_RegularRange)
  {name: 'WithVarsGradient_4Bits_RegularRange', op: 'Vars', numBits: 4, narrowRange: false,
   min: -0.4, max: 7.1, shape: [2, 3],
   inputs: [-0.6, -0.5, -0.4, 0.0, 7.0, 7.1], gradients: G6,
   expectedBackprops: [0, 2, 3, 4, 5, 0], expectedWrtMin: 1, expectedWrtMax: 6},
  // TEST_F(QuantOpsTest, WithVarsGradient_4Bits_NarrowRange)
  {name: 'WithVarsGradient_4Bits_NarrowRange', op: 'Vars', numBits: 4, narrowRange: true,
   min: -0.4, max: 6.6, shape: [2, 3],
   inputs: [-0.6, -0.5, -0.4, 0.0, 6.5, 6.6], gradients: G6,
   expectedBackprops: [0, 2, 3, 4, 5, 0], expectedWrtMin: 1, expectedWrtMax: 6},
];

// Expected patterns of the per-channel gradient tests:
//  Dim1 (shape [4], d = 4): {0, grad_flat(1), grad_flat(2), 0}; min {grad_flat(0), 0, 0, 0};
//                           max {0, 0, 0, grad_flat(3)}
//  Dim2 (shape [2,3], d = 3): {0, g(1), g(2), g(3), g(4), 0}; min {g(0), 0, 0}; max {0, 0, g(5)}
//  Dim4 (shape [1,2,3,4], d = 4): {0, g(4k+1), g(4k+2), 0} for k = 0..5;
//       min {g(0)+g(4)+g(8)+g(12)+g(16)+g(20), 0, 0, 0} = {1+5+9+13+17+21 = 66, 0, 0, 0};
//       max {0, 0, 0, g(3)+g(7)+g(11)+g(15)+g(19)+g(23)} = {0, 0, 0, 4+8+12+16+20+24 = 84}
const DIM1_BACKPROPS = [0, 2, 3, 0];
const DIM1_WRT_MIN = [1, 0, 0, 0];
const DIM1_WRT_MAX = [0, 0, 0, 4];
const DIM2_BACKPROPS = [0, 2, 3, 4, 5, 0];
const DIM2_WRT_MIN = [1, 0, 0];
const DIM2_WRT_MAX = [0, 0, 6];
const DIM4_BACKPROPS = [0, 2, 3, 0, 0, 6, 7, 0, 0, 10, 11, 0, 0, 14, 15, 0, 0, 18, 19, 0, 0, 22, 23, 0];
const DIM4_WRT_MIN = [66, 0, 0, 0];
const DIM4_WRT_MAX = [0, 0, 0, 84];

const PER_CHANNEL_GRADIENT: TfGradientCase[] = [
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim1GradientNudgedDown_ZeroMinAndMax)
  // expected grad_flat(0..3) pass-through; wrt_min = wrt_max = {0, 0, 0, 0}
  {name: 'WithVarsPerChannelDim1GradientNudgedDown_ZeroMinAndMax', op: 'PerChannel', numBits: 8,
   narrowRange: false, min: [0.0, 0.0, 0.0, 0.0], max: [0.0, 0.0, 0.0, 0.0], shape: [4],
   inputs: [0.0, 0.0, 0.0, 0.0], gradients: G4,
   expectedBackprops: [1, 2, 3, 4], expectedWrtMin: [0, 0, 0, 0], expectedWrtMax: [0, 0, 0, 0]},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim1GradientNudgedDown_RegularRange)
  {name: 'WithVarsPerChannelDim1GradientNudgedDown_RegularRange', op: 'PerChannel', numBits: 8,
   narrowRange: false, min: [-0.1, -0.1, -0.1, -0.1], max: [63.65, 63.65, 63.65, 63.65], shape: [4],
   inputs: [-0.1, 0.0, 63.75, 63.8], gradients: G4,
   expectedBackprops: DIM1_BACKPROPS, expectedWrtMin: DIM1_WRT_MIN, expectedWrtMax: DIM1_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim1GradientNudgedDown_NarrowRange)
  {name: 'WithVarsPerChannelDim1GradientNudgedDown_NarrowRange', op: 'PerChannel', numBits: 8,
   narrowRange: true, min: [-0.1, -0.1, -0.1, -0.1], max: [63.4, 63.4, 63.4, 63.4], shape: [4],
   inputs: [-0.1, 0.0, 63.5, 63.6], gradients: G4,
   expectedBackprops: DIM1_BACKPROPS, expectedWrtMin: DIM1_WRT_MIN, expectedWrtMax: DIM1_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim1GradientNudgedUp_RegularRange)
  {name: 'WithVarsPerChannelDim1GradientNudgedUp_RegularRange', op: 'PerChannel', numBits: 8,
   narrowRange: false, min: [-0.125, -0.125, -0.125, -0.125], max: [63.625, 63.625, 63.625, 63.625],
   shape: [4], inputs: [-0.3, -0.25, 63.5, 63.6], gradients: G4,
   expectedBackprops: DIM1_BACKPROPS, expectedWrtMin: DIM1_WRT_MIN, expectedWrtMax: DIM1_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim1GradientNudgedUp_NarrowRange)
  {name: 'WithVarsPerChannelDim1GradientNudgedUp_NarrowRange', op: 'PerChannel', numBits: 8,
   narrowRange: true, min: [-0.125, -0.125, -0.125, -0.125], max: [63.375, 63.375, 63.375, 63.375],
   shape: [4], inputs: [-0.3, -0.25, 63.25, 63.3], gradients: G4,
   expectedBackprops: DIM1_BACKPROPS, expectedWrtMin: DIM1_WRT_MIN, expectedWrtMax: DIM1_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim2GradientNudgedDown_RegularRange)
  {name: 'WithVarsPerChannelDim2GradientNudgedDown_RegularRange', op: 'PerChannel', numBits: 8,
   narrowRange: false, min: [-0.1, -0.1, -0.1], max: [63.65, 63.65, 63.65], shape: [2, 3],
   inputs: [-0.1, 0.0, 0.1, 0.25, 63.75, 63.8], gradients: G6,
   expectedBackprops: DIM2_BACKPROPS, expectedWrtMin: DIM2_WRT_MIN, expectedWrtMax: DIM2_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim2GradientNudgedDown_NarrowRange)
  {name: 'WithVarsPerChannelDim2GradientNudgedDown_NarrowRange', op: 'PerChannel', numBits: 8,
   narrowRange: true, min: [-0.1, -0.1, -0.1], max: [63.4, 63.4, 63.4], shape: [2, 3],
   inputs: [-0.1, 0.0, 0.1, 0.25, 63.5, 63.6], gradients: G6,
   expectedBackprops: DIM2_BACKPROPS, expectedWrtMin: DIM2_WRT_MIN, expectedWrtMax: DIM2_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim2GradientNudgedUp_RegularRange)
  {name: 'WithVarsPerChannelDim2GradientNudgedUp_RegularRange', op: 'PerChannel', numBits: 8,
   narrowRange: false, min: [-0.125, -0.125, -0.125], max: [63.625, 63.625, 63.625], shape: [2, 3],
   inputs: [-0.3, -0.25, -0.2, 0.0, 63.5, 63.6], gradients: G6,
   expectedBackprops: DIM2_BACKPROPS, expectedWrtMin: DIM2_WRT_MIN, expectedWrtMax: DIM2_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim2GradientNudgedUp_NarrowRange)
  {name: 'WithVarsPerChannelDim2GradientNudgedUp_NarrowRange', op: 'PerChannel', numBits: 8,
   narrowRange: true, min: [-0.125, -0.125, -0.125], max: [63.375, 63.375, 63.375], shape: [2, 3],
   inputs: [-0.3, -0.25, -0.2, 0.0, 63.25, 63.3], gradients: G6,
   expectedBackprops: DIM2_BACKPROPS, expectedWrtMin: DIM2_WRT_MIN, expectedWrtMax: DIM2_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim4GradientNudgedDown_RegularRange)
  {name: 'WithVarsPerChannelDim4GradientNudgedDown_RegularRange', op: 'PerChannel', numBits: 8,
   narrowRange: false, min: [-0.1, -0.1, -0.1, -0.1], max: [63.65, 63.65, 63.65, 63.65], shape: [1, 2, 3, 4],
   inputs: [-0.1,   0.0, 63.75, 63.8, -0.1,   0.0,
            63.75, 63.8, -0.1,   0.0, 63.75, 63.8,
            -0.1,   0.0, 63.75, 63.8, -0.1,   0.0,
            63.75, 63.8, -0.1,   0.0, 63.75, 63.8], gradients: G24,
   expectedBackprops: DIM4_BACKPROPS, expectedWrtMin: DIM4_WRT_MIN, expectedWrtMax: DIM4_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim4GradientNudgedDown_NarrowRange)
  {name: 'WithVarsPerChannelDim4GradientNudgedDown_NarrowRange', op: 'PerChannel', numBits: 8,
   narrowRange: true, min: [-0.1, -0.1, -0.1, -0.1], max: [63.4, 63.4, 63.4, 63.4], shape: [1, 2, 3, 4],
   inputs: [-0.1,  0.0, 63.5, 63.6, -0.1,  0.0,
            63.5, 63.6, -0.1,  0.0, 63.5, 63.6,
            -0.1,  0.0, 63.5, 63.6, -0.1,  0.0,
            63.5, 63.6, -0.1,  0.0, 63.5, 63.6], gradients: G24,
   expectedBackprops: DIM4_BACKPROPS, expectedWrtMin: DIM4_WRT_MIN, expectedWrtMax: DIM4_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim4GradientNudgedUp_RegularRange)
  {name: 'WithVarsPerChannelDim4GradientNudgedUp_RegularRange', op: 'PerChannel', numBits: 8,
   narrowRange: false, min: [-0.125, -0.125, -0.125, -0.125], max: [63.625, 63.625, 63.625, 63.625],
   shape: [1, 2, 3, 4],
   inputs: [-0.3, -0.25, 63.5, 63.6,  -0.3, -0.25,
            63.5, 63.6,  -0.3, -0.25, 63.5, 63.6,
            -0.3, -0.25, 63.5, 63.6,  -0.3, -0.25,
            63.5, 63.6,  -0.3, -0.25, 63.5, 63.6], gradients: G24,
   expectedBackprops: DIM4_BACKPROPS, expectedWrtMin: DIM4_WRT_MIN, expectedWrtMax: DIM4_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim4GradientNudgedUp_NarrowRange)
  {name: 'WithVarsPerChannelDim4GradientNudgedUp_NarrowRange', op: 'PerChannel', numBits: 8,
   narrowRange: true, min: [-0.125, -0.125, -0.125, -0.125], max: [63.375, 63.375, 63.375, 63.375],
   shape: [1, 2, 3, 4],
   inputs: [ -0.3,  -0.25, 63.25, 63.3,  -0.3,  -0.25,
             63.25, 63.3,  -0.3,  -0.25, 63.25, 63.3,
             -0.3,  -0.25, 63.25, 63.3,  -0.3,  -0.25,
             63.25, 63.3,  -0.3,  -0.25, 63.25, 63.3], gradients: G24,
   expectedBackprops: DIM4_BACKPROPS, expectedWrtMin: DIM4_WRT_MIN, expectedWrtMax: DIM4_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim1GradientNudgedDown_4Bits_RegularRange)
  {name: 'WithVarsPerChannelDim1GradientNudgedDown_4Bits_RegularRange', op: 'PerChannel', numBits: 4,
   narrowRange: false, min: [-0.1, -0.1, -0.1, -0.1], max: [7.4, 7.4, 7.4, 7.4], shape: [4],
   inputs: [-0.1, 0.0, 7.5, 7.6], gradients: G4,
   expectedBackprops: DIM1_BACKPROPS, expectedWrtMin: DIM1_WRT_MIN, expectedWrtMax: DIM1_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim1GradientNudgedDown_4Bits_NarrowRange)
  {name: 'WithVarsPerChannelDim1GradientNudgedDown_4Bits_NarrowRange', op: 'PerChannel', numBits: 4,
   narrowRange: true, min: [-0.1, -0.1, -0.1, -0.1], max: [6.9, 6.9, 6.9, 6.9], shape: [4],
   inputs: [-0.1, 0.0, 7.0, 7.1], gradients: G4,
   expectedBackprops: DIM1_BACKPROPS, expectedWrtMin: DIM1_WRT_MIN, expectedWrtMax: DIM1_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim1GradientNudgedUp_4Bits_RegularRange)
  {name: 'WithVarsPerChannelDim1GradientNudgedUp_4Bits_RegularRange', op: 'PerChannel', numBits: 4,
   narrowRange: false, min: [-0.4, -0.4, -0.4, -0.4], max: [7.1, 7.1, 7.1, 7.1], shape: [4],
   inputs: [-0.6, -0.5, 7.0, 7.1], gradients: G4,
   expectedBackprops: DIM1_BACKPROPS, expectedWrtMin: DIM1_WRT_MIN, expectedWrtMax: DIM1_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim1GradientNudgedUp_4Bits_NarrowRange)
  {name: 'WithVarsPerChannelDim1GradientNudgedUp_4Bits_NarrowRange', op: 'PerChannel', numBits: 4,
   narrowRange: true, min: [-0.4, -0.4, -0.4, -0.4], max: [6.6, 6.6, 6.6, 6.6], shape: [4],
   inputs: [-0.6, -0.5, 6.5, 6.6], gradients: G4,
   expectedBackprops: DIM1_BACKPROPS, expectedWrtMin: DIM1_WRT_MIN, expectedWrtMax: DIM1_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim2GradientNudgedDown_4Bits_RegularRange)
  {name: 'WithVarsPerChannelDim2GradientNudgedDown_4Bits_RegularRange', op: 'PerChannel', numBits: 4,
   narrowRange: false, min: [-0.1, -0.1, -0.1], max: [7.4, 7.4, 7.4], shape: [2, 3],
   inputs: [-0.1, 0.0, 0.1, 0.5, 7.5, 7.6], gradients: G6,
   expectedBackprops: DIM2_BACKPROPS, expectedWrtMin: DIM2_WRT_MIN, expectedWrtMax: DIM2_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim2GradientNudgedDown_4Bits_NarrowRange)
  {name: 'WithVarsPerChannelDim2GradientNudgedDown_4Bits_NarrowRange', op: 'PerChannel', numBits: 4,
   narrowRange: true, min: [-0.1, -0.1, -0.1], max: [6.9, 6.9, 6.9], shape: [2, 3],
   inputs: [-0.1, 0.0, 0.1, 0.5, 7.0, 7.1], gradients: G6,
   expectedBackprops: DIM2_BACKPROPS, expectedWrtMin: DIM2_WRT_MIN, expectedWrtMax: DIM2_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim2GradientNudgedUp_4Bits_RegularRange)
  {name: 'WithVarsPerChannelDim2GradientNudgedUp_4Bits_RegularRange', op: 'PerChannel', numBits: 4,
   narrowRange: false, min: [-0.4, -0.4, -0.4], max: [7.1, 7.1, 7.1], shape: [2, 3],
   inputs: [-0.6, -0.5, -0.4, 0.0, 7.0, 7.1], gradients: G6,
   expectedBackprops: DIM2_BACKPROPS, expectedWrtMin: DIM2_WRT_MIN, expectedWrtMax: DIM2_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim2GradientNudgedUp_4Bits_NarrowRange)
  {name: 'WithVarsPerChannelDim2GradientNudgedUp_4Bits_NarrowRange', op: 'PerChannel', numBits: 4,
   narrowRange: true, min: [-0.4, -0.4, -0.4], max: [6.6, 6.6, 6.6], shape: [2, 3],
   inputs: [-0.6, -0.5, -0.4, 0.0, 6.5, 6.6], gradients: G6,
   expectedBackprops: DIM2_BACKPROPS, expectedWrtMin: DIM2_WRT_MIN, expectedWrtMax: DIM2_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim4GradientNudgedDown_4Bits_RegularRange)
  {name: 'WithVarsPerChannelDim4GradientNudgedDown_4Bits_RegularRange', op: 'PerChannel', numBits: 4,
   narrowRange: false, min: [-0.1, -0.1, -0.1, -0.1], max: [7.4, 7.4, 7.4, 7.4], shape: [1, 2, 3, 4],
   inputs: [-0.1, 0.0,  7.5, 7.6, -0.1, 0.0,
             7.5, 7.6, -0.1, 0.0,  7.5, 7.6,
            -0.1, 0.0,  7.5, 7.6, -0.1, 0.0,
             7.5, 7.6, -0.1, 0.0,  7.5, 7.6], gradients: G24,
   expectedBackprops: DIM4_BACKPROPS, expectedWrtMin: DIM4_WRT_MIN, expectedWrtMax: DIM4_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim4GradientNudgedDown_4Bits_NarrowRange)
  {name: 'WithVarsPerChannelDim4GradientNudgedDown_4Bits_NarrowRange', op: 'PerChannel', numBits: 4,
   narrowRange: true, min: [-0.1, -0.1, -0.1, -0.1], max: [6.9, 6.9, 6.9, 6.9], shape: [1, 2, 3, 4],
   inputs: [-0.1, 0.0,  7.0, 7.1, -0.1, 0.0,
             7.0, 7.1, -0.1, 0.0,  7.0, 7.1,
            -0.1, 0.0,  7.0, 7.1, -0.1, 0.0,
             7.0, 7.1, -0.1, 0.0,  7.0, 7.1], gradients: G24,
   expectedBackprops: DIM4_BACKPROPS, expectedWrtMin: DIM4_WRT_MIN, expectedWrtMax: DIM4_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim4GradientNudgedUp_4Bits_RegularRange)
  {name: 'WithVarsPerChannelDim4GradientNudgedUp_4Bits_RegularRange', op: 'PerChannel', numBits: 4,
   narrowRange: false, min: [-0.4, -0.4, -0.4, -0.4], max: [7.1, 7.1, 7.1, 7.1], shape: [1, 2, 3, 4],
   inputs: [-0.6, -0.5,  7.0,  7.1, -0.6, -0.5,
             7.0,  7.1, -0.6, -0.5,  7.0,  7.1,
            -0.6, -0.5,  7.0,  7.1, -0.6, -0.5,
             7.0,  7.1, -0.6, -0.5,  7.0,  7.1], gradients: G24,
   expectedBackprops: DIM4_BACKPROPS, expectedWrtMin: DIM4_WRT_MIN, expectedWrtMax: DIM4_WRT_MAX},
  // TEST_F(QuantOpsTest, WithVarsPerChannelDim4GradientNudgedUp_4Bits_NarrowRange)
  {name: 'WithVarsPerChannelDim4GradientNudgedUp_4Bits_NarrowRange', op: 'PerChannel', numBits: 4,
   narrowRange: true, min: [-0.4, -0.4, -0.4, -0.4], max: [6.6, 6.6, 6.6, 6.6], shape: [1, 2, 3, 4],
   inputs: [-0.6, -0.5,  6.5,  6.6, -0.6, -0.5,
             6.5,  6.6, -0.6, -0.5,  6.5,  6.6,
            -0.6, -0.5,  6.5,  6.6, -0.6, -0.5,
             6.5,  6.6, -0.6, -0.5,  6.5,  6.6], gradients: G24,
   expectedBackprops: DIM4_BACKPROPS, expectedWrtMin: DIM4_WRT_MIN, expectedWrtMax: DIM4_WRT_MAX},
];

/** All 34 gradient TEST_Fs (ArgsGradient 4, VarsGradient 5, PerChannelGradient 25), in file order. */
export const TF_GRADIENT_CASES: TfGradientCase[] = [...ARGS_GRADIENT, ...VARS_GRADIENT, ...PER_CHANNEL_GRADIENT];

// ---------------------------------------------------------------------------
// XLA tests (tensorflow/compiler/tests/fake_quant_ops_test.py)
// ---------------------------------------------------------------------------

export interface XlaCase {
  /** Python test method name (shared by the Args, ArgsGradient, Vars and VarsGradient classes). */
  name: string;
  numBits: number;
  narrowRange: boolean;
  min: number;
  max: number;
  expectedNudgedMin: number;
  expectedNudgedMax: number;
  expectedStep: number;
  /** 11 inputs derived in float64 and cast to float32, as `np.array(..., dtype=np.float32)` does. */
  inputs: number[];
  /** Forward expectation of FakeQuantWithMinMaxArgs / Vars, derived as the test derives it. */
  expected: number[];
  /** np.arange(1, 12). */
  gradients: number[];
  expectedBackprops: number[];
  expectedWrtMin: number;
  expectedWrtMax: number;
  /** Tolerance used by the Python test (assertAllCloseAccordingToType). */
  rtol: number;
  atol: number;
}

function xlaCase(
    name: string, min: number, max: number, numBits: number, narrowRange: boolean,
    nmin: number, nmax: number, step: number): XlaCase {
  const f = Math.fround;
  // Same float64 expressions as _TestOp, then the float32 cast.
  const inputs = [
    nmin - step, nmin - 0.01, nmin, nmin + 0.01, nmin + step - 0.01, nmin + step,
    nmin + step + 0.01, nmax - 0.01, nmax, nmax + 0.01, nmax + step,
  ].map(f);
  const expected = [
    nmin, nmin, nmin, nmin, nmin + step, nmin + step, nmin + step, nmax, nmax, nmax, nmax,
  ].map(f);
  return {
    name, numBits, narrowRange, min, max,
    expectedNudgedMin: nmin, expectedNudgedMax: nmax, expectedStep: step,
    inputs, expected,
    gradients: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    expectedBackprops: [0.0, 0.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 0.0, 0.0],
    expectedWrtMin: 1.0 + 2.0,
    expectedWrtMax: 10.0 + 11.0,
    rtol: 1e-3,
    atol: 1e-5,
  };
}

/** The 16 parameter sets; each is run for Args, ArgsGradient, Vars and VarsGradient (64 cases). */
export const XLA_CASES: XlaCase[] = [
  // 8 bits, wide range.
  xlaCase('testOp_with8BitsNoScalingNoNudging', 0.0, 255.0, 8, false, 0.0, 255.0, 1.0),
  xlaCase('testOp_with8BitsScalingAndNudgingDown', 0.5, 128.0, 8, false, 0.0, 127.5, 0.5),
  xlaCase('testOp_with8BitsScalingAndNudgingUp', -128.0, -0.5, 8, false, -127.5, 0.0, 0.5),
  xlaCase('testOp_with8BitsScalingAndNudgingBetween', -0.1, 127.4, 8, false, 0.0, 127.5, 0.5),
  // 8 bits, narrow range.
  xlaCase('testOp_with8BitsNarrowRangeNoScalingNoNudging', 0.0, 254.0, 8, true, 0.0, 254.0, 1.0),
  xlaCase('testOp_with8BitsNarrowRangeScalingAndNudgingDown', 0.1, 127.1, 8, true, 0.0, 127.0, 0.5),
  xlaCase('testOp_with8BitsNarrowRangeScalingAndNudgingUp', -127.1, -0.1, 8, true, -127.0, 0.0, 0.5),
  xlaCase('testOp_with8BitsNarrowRangeScalingAndNudgingBetween', -0.1, 126.9, 8, true, 0.0, 127.0, 0.5),
  // 7 bits, wide range.
  xlaCase('testOp_with7BitsNoScalingNoNudging', 0.0, 127.0, 7, false, 0.0, 127.0, 1.0),
  xlaCase('testOp_with7BitsScalingAndNudgingDown', 0.5, 64.0, 7, false, 0.0, 63.5, 0.5),
  xlaCase('testOp_with7BitsScalingAndNudgingUp', -64.0, -0.5, 7, false, -63.5, 0.0, 0.5),
  xlaCase('testOp_with7BitsScalingAndNudgingBetween', -0.1, 63.4, 7, false, 0.0, 63.5, 0.5),
  // 7 bits, narrow range.
  xlaCase('testOp_with7BitsNarrowRangeNoScalingNoNudging', 0.0, 126.0, 7, true, 0.0, 126.0, 1.0),
  xlaCase('testOp_with7BitsNarrowRangeScalingAndNudgingDown', 0.1, 63.1, 7, true, 0.0, 63.0, 0.5),
  xlaCase('testOp_with7BitsNarrowRangeScalingAndNudgingUp', -63.1, -0.1, 7, true, -63.0, 0.0, 0.5),
  xlaCase('testOp_with7BitsNarrowRangeScalingAndNudgingBetween', -0.1, 62.9, 7, true, 0.0, 63.0, 0.5),
];

// ---------------------------------------------------------------------------
// Outputs quoted in docs and issues (semantics doc §7.1 "Docs and issues")
// ---------------------------------------------------------------------------

export const DOC_CASES: TfForwardCase[] = [
  // api_def_FakeQuantWithMinMaxArgs.pbtxt example (16 bits).
  {name: 'api_def_FakeQuantWithMinMaxArgs_16bit_example', op: 'Args', numBits: 16, narrowRange: false,
   min: -5, max: 5, shape: [3],
   inputs: [10.03, -10.23, 3],
   expected: [4.9999237, -5.0000763, 3.0000763], exact: false,
   source: 'tensorflow/core/api_def/base_api/api_def_FakeQuantWithMinMaxArgs.pbtxt'},
  // tensorflow/tensorflow#117962: eager zero point 2.5 rounds half away from zero to 3.
  {name: 'issue_117962_vars_4bit_half_zero_point', op: 'Vars', numBits: 4, narrowRange: false,
   min: -0.5, max: 2.5, shape: [3],
   inputs: [2.579, -0.6, 2.6],
   expected: [2.4, -0.6, 2.4], exact: false,
   source: 'https://github.com/tensorflow/tensorflow/issues/117962 (eager output)'},
  // tensorflow/tensorflow#23351: range entirely above 0 becomes [0, max - min].
  {name: 'issue_23351_args_min_above_zero', op: 'Args', numBits: 8, narrowRange: false,
   min: 12, max: 123, shape: [],
   inputs: [123],
   expected: [111.0], exact: false,
   source: 'https://github.com/tensorflow/tensorflow/issues/23351 (TF 1.10)'},
  // tensorflow/tensorflow#16995: min/max = reduce_min/reduce_max of the input (all > 0).
  // Quoted from TF 1.5; every output is nudged_max = 255 * scale, which the legacy and current
  // formulas compute identically.
  {name: 'issue_16995_vars_positive_range', op: 'Vars', numBits: 8, narrowRange: false,
   min: 0.0748544, max: 0.12734564, shape: [10],
   inputs: [0.09504107, 0.0748544, 0.09333218, 0.106306, 0.09921047, 0.0930253, 0.09277194,
            0.08704954, 0.12734564, 0.11479893],
   expected: [0.05249124, 0.05249124, 0.05249124, 0.05249124, 0.05249124, 0.05249124, 0.05249124,
              0.05249124, 0.05249124, 0.05249124], exact: false,
   source: 'https://github.com/tensorflow/tensorflow/issues/16995 (TF 1.5)'},
  // tensorflow/model-optimization#858: zero point 127 for [-1, 1] (float32 gives 127.49999).
  // Quoted from a TF1 session: legacy bits (the current kernel gives 1.0039216 for the last
  // element); within TF's 5*FLT_EPSILON tolerance either way.
  {name: 'model_optimization_858_vars_minus1_1', op: 'Vars', numBits: 8, narrowRange: false,
   min: -1, max: 1, shape: [3],
   inputs: [-1.0, 0.0, 1.0],
   expected: [-0.9960785, 0, 1.0039215], exact: false, legacyBits: true,
   source: 'https://github.com/tensorflow/model-optimization/issues/858 (TF1, legacy formula)'},
  // tensorflow/tensorflow PR #124718: [-0.75, 0.75] has zero point exactly 127.5 -> 128 in eager,
  // nudged bounds [-0.752941, 0.747059] (quoted: lhs/rhs "-0.7529412", bounds "0.747059").
  {name: 'pr_124718_vars_half_zero_point_bounds', op: 'Vars', numBits: 8, narrowRange: false,
   min: -0.75, max: 0.75, shape: [3],
   inputs: [-1.0, 0.0, 1.0],
   expected: [-0.7529412, 0.0, 0.747059], exact: false,
   source: 'https://github.com/tensorflow/tensorflow/pull/124718'},
  {name: 'pr_124718_per_channel_half_zero_point_bounds', op: 'PerChannel', numBits: 8, narrowRange: false,
   min: [-0.75], max: [0.75], shape: [3, 1],
   inputs: [-1.0, 0.0, 1.0],
   expected: [-0.7529412, 0.0, 0.747059], exact: false,
   source: 'https://github.com/tensorflow/tensorflow/pull/124718'},
  // tensorflow/tensorflow#47193: 0 must come back as exactly 0 (the issue shows a GPU/legacy
  // non-zero; PR #48580's quant_zero form fixed it).
  {name: 'issue_47193_vars_exact_zero', op: 'Vars', numBits: 8, narrowRange: false,
   min: -25, max: 20, shape: [],
   inputs: [0.0],
   expected: [0.0], exact: true,
   source: 'https://github.com/tensorflow/tensorflow/issues/47193 (requirement, fixed by PR #48580)'},
  // tensorflow/model-optimization#635: symmetric [-10, 10] must map 0 to exactly 0.
  {name: 'model_optimization_635_args_exact_zero', op: 'Args', numBits: 8, narrowRange: false,
   min: -10.0, max: 10.0, shape: [1],
   inputs: [0.0],
   expected: [0.0], exact: true,
   source: 'https://github.com/tensorflow/model-optimization/issues/635 (requirement)'},
  {name: 'model_optimization_635_args_narrow_exact_zero', op: 'Args', numBits: 8, narrowRange: true,
   min: -10.0, max: 10.0, shape: [1],
   inputs: [0.0],
   expected: [0.0], exact: true,
   source: 'https://github.com/tensorflow/model-optimization/issues/635 (requirement)'},
];
