// tslint:disable
(async () => {
  const {create, globals} = await (new Function('return import("webgpu")')() as Promise<any>);
  Object.assign(globalThis, globals);
  (globalThis as any).navigator = {gpu: create([])};
  const tf = require('@tensorflow/tfjs');
  require('@tensorflow/tfjs-backend-webgpu');
  const fq = require('../../src');
  const {refFakeQuantVars, refFakeQuantVarsGradient, refFakeQuantPerChannelGradient} = require('../shared/reference');
  await tf.setBackend('webgpu');
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  const x = tf.tensor([-1.2, -1, -0.5, 0, 0.3, 0.99, 1, 1.7, NaN, Infinity]);
  const dy = tf.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const y = fq.fakeQuantWithMinMaxVars(x, tf.scalar(-1), tf.scalar(1));
  console.log('fwd', await y.data());
  console.log('ref', refFakeQuantVars(await x.data(), -1, 1));
  const g = fq.fakeQuantWithMinMaxVarsGradient(dy, x, tf.scalar(-1), tf.scalar(1));
  console.log('dx', await g.backpropsWrtInput.data(), await g.backpropWrtMin.data(), await g.backpropWrtMax.data());
  console.log('ref', refFakeQuantVarsGradient(await dy.data(), await x.data(), -1, 1));
  const n = 1000000;
  const bx = tf.randomUniform([n], -3, 3); const bdy = tf.randomUniform([n], -1, 1);
  const g2 = fq.fakeQuantWithMinMaxVarsGradient(bdy, bx, tf.scalar(-1.5), tf.scalar(2));
  const r2 = refFakeQuantVarsGradient(await bdy.data(), await bx.data(), -1.5, 2);
  console.log('big', (await g2.backpropWrtMin.data())[0], r2.backpropWrtMin, (await g2.backpropWrtMax.data())[0], r2.backpropWrtMax);
  const dxv = await g2.backpropsWrtInput.data(); let bad = 0; for (let i = 0; i < n; i++) if (dxv[i] !== r2.backpropsWrtInput[i]) bad++;
  console.log('dx mismatches', bad);
  const xs = tf.randomUniform([300, 5], -3, 3); const dys = tf.randomUniform([300, 5], -1, 1);
  const mins = [-1, -2, 0, 0.5, -3], maxs = [1, 2, 0, 3, -1];
  const g3 = fq.fakeQuantWithMinMaxVarsPerChannelGradient(dys, xs, tf.tensor1d(mins), tf.tensor1d(maxs));
  const r3 = refFakeQuantPerChannelGradient(await dys.data(), await xs.data(), mins, maxs, 8, false);
  console.log('pc', await g3.backpropWrtMin.data(), r3.backpropWrtMin, await g3.backpropWrtMax.data(), r3.backpropWrtMax);
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    const g4 = fq.fakeQuantWithMinMaxVarsGradient(bdy, bx, tf.scalar(-1.5), tf.scalar(2));
    await g4.backpropWrtMin.data(); await g4.backpropWrtMax.data();
    const t1 = performance.now();
    const f4 = fq.fakeQuantWithMinMaxVars(bx, tf.scalar(-1.5), tf.scalar(2)); await f4.data();
    console.log('ms grad', (t1 - t0).toFixed(1), 'fwd', (performance.now() - t1).toFixed(1));
  }
  process.exit(0);
})().catch(e => { console.error(e); process.exit(1); });
