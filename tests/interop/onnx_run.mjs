// Runs an ONNX model with ONNX Runtime's CPU provider on raw little-endian inputs and writes its
// `probabilities`. Usage: node onnx_run.mjs MODEL DIR N T
// DIR holds hlf.f32 [N, 14], particles.f32 [N, T, 19] and sequence_lens.i32 [N] (those the model
// takes); probabilities.f32 [N, classes] is written there.
import { readFileSync, writeFileSync } from 'node:fs';
import ort from 'onnxruntime-node';

const [model, dir, n, t] = process.argv.slice(2);
if (!t) {
  console.error('usage: node onnx_run.mjs MODEL DIR N T');
  process.exit(2);
}
const events = Number(n), steps = Number(t);
const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
const read = (name, Type) => {
  const bytes = readFileSync(`${dir}/${name}`);
  return new Type(bytes.buffer, bytes.byteOffset, bytes.byteLength / Type.BYTES_PER_ELEMENT);
};
const feeds = {};
for (const name of session.inputNames) {
  if (name === 'hlf') {
    const hlf = read('hlf.f32', Float32Array);
    feeds.hlf = new ort.Tensor('float32', hlf, [events, hlf.length / events]);
  } else if (name === 'particles') {
    const particles = read('particles.f32', Float32Array);
    feeds.particles = new ort.Tensor('float32', particles, [events, steps, particles.length / (events * steps)]);
  } else if (name === 'sequence_lens') {
    feeds.sequence_lens = new ort.Tensor('int32', read('sequence_lens.i32', Int32Array), [events]);
  } else {
    throw new Error(`unexpected model input ${name}`);
  }
}
const { probabilities } = await session.run(feeds);
writeFileSync(`${dir}/probabilities.f32`, Buffer.from(probabilities.data.buffer, probabilities.data.byteOffset,
                                                       probabilities.data.byteLength));
console.log(JSON.stringify({ dims: probabilities.dims }));
