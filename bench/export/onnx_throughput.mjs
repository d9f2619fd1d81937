// ONNX Runtime (onnxruntime-node, CPU, one thread) on an exported inclusive model: batches of 128
// events of 280–320 particles (standard-normal features, zero-padded), as bench/model_bench.cpp's
// BM_Inference/inclusive feeds trigml. Prints events per second (median of 10 runs after a warm-up).
// Usage: node onnx_throughput.mjs MODEL.onnx   (onnxruntime-node from tests/interop/node_modules)
import { createRequire } from 'node:module';

const ort = createRequire(new URL('../../tests/interop/package.json', import.meta.url))('onnxruntime-node');

const model = process.argv[2];
const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
const events = 128, steps = 320;
let seed = 1;
const uniform = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
const hlf = Float32Array.from({ length: events * 14 }, normal);
const lengths = Int32Array.from({ length: events }, () => 280 + Math.floor(uniform() * 41));
const particles = new Float32Array(events * steps * 19);
for (let e = 0; e < events; ++e)
  for (let i = 0; i < lengths[e] * 19; ++i) particles[e * steps * 19 + i] = normal();
const feeds = {
  hlf: new ort.Tensor('float32', hlf, [events, 14]),
  particles: new ort.Tensor('float32', particles, [events, steps, 19]),
  sequence_lens: new ort.Tensor('int32', lengths, [events]),
};
await session.run(feeds);
const rates = [];
for (let run = 0; run < 10; ++run) {
  const start = process.hrtime.bigint();
  await session.run(feeds);
  rates.push(events / (Number(process.hrtime.bigint() - start) / 1e9));
}
rates.sort((a, b) => a - b);
console.log(`onnxruntime-node ${ort.env.versions.common}: ${rates[5].toFixed(0)} events/s`);
