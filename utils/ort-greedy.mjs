#!/usr/bin/env node
// Greedy generation with ONNX Runtime (npm onnxruntime-node) as the numerical
// reference of llmc's ONNX importer: feeds the prompt and then each greedy
// token one position at a time, carrying the KV cache from the model's
// present/updated outputs to its past inputs, and writes the token of every
// position and the logits computed there.
//
//   node utils/ort-greedy.mjs --model M.onnx --prompt "1 2 3" --steps 32 \
//       --tokens-out T.txt --logits-out L.f32 [--ort-dir DIR]
//
// --steps counts positions, prompt included (like llmc-run). T.txt holds the
// `steps` token ids fed (prompt then greedy continuation), space-separated;
// L.f32 holds float32 logits [steps][vocab], row i computed at position i.
//
// Cache conventions recognised from the input names:
//  - growing past/present (past_key_values.N.key -> present.N.key, past_N ->
//    present_N): past starts empty; attention_mask is all ones.
//  - fixed-size caches updated in place (key_cache.N -> updated_key_cache.N,
//    with write_indices and nonpad_kv_seqlen): token at slot s; when the
//    cache is full its newest half is moved to the front, which is exact for
//    models whose attention window is at most half the cache plus one (the
//    model's own mask enforces the window; positions stay absolute).
//  - no cache inputs at all: every step runs the whole sequence so far and
//    the logits of its last position are taken.
import { createRequire } from 'module';
import fs from 'fs';
import path from 'path';
import { fileURLToPath } from 'url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = { ortDir: path.join(here, '..', 'third_party', 'onnxruntime') };
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, '').replace(/-(.)/g, (_, c) => c.toUpperCase());
  args[key] = process.argv[i + 1];
}
for (const k of ['model', 'prompt', 'steps', 'tokensOut', 'logitsOut'])
  if (args[k] === undefined) {
    console.error(`ort-greedy: missing --${k.replace(/[A-Z]/g, c => '-' + c.toLowerCase())}`);
    process.exit(2);
  }
const require = createRequire(path.join(path.resolve(args.ortDir), 'package.json'));
const ort = require('onnxruntime-node');

function halfToFloat(h) {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
function toFloat32(t) {
  if (t.type === 'float32') return t.data;
  if (t.type === 'float16') return Float32Array.from(t.data, x => typeof x === 'number' && !(t.data instanceof Uint16Array) ? x : halfToFloat(x));
  throw new Error(`logits of type ${t.type}`);
}
const arrayOf = { int64: BigInt64Array, int32: Int32Array, float32: Float32Array, float16: Uint16Array };
function tensor(type, values, dims) {
  const A = arrayOf[type];
  if (!A) throw new Error(`unsupported input type ${type}`);
  const data = A === BigInt64Array ? A.from(values, v => BigInt(v)) : A.from(values);
  return new ort.Tensor(type, data, dims);
}

const session = await ort.InferenceSession.create(args.model, { logSeverityLevel: 3 });
const meta = Object.fromEntries(session.inputMetadata.map(m => [m.name, m]));
const outputs = new Set(session.outputNames);
const presentOf = name => {
  const candidates = [
    name.replace(/^key_cache/, 'updated_key_cache').replace(/^value_cache/, 'updated_value_cache'),
    name.replace(/^past_key_values/, 'present'),
    name.replace(/^past/, 'present'),
  ];
  return candidates.find(c => c !== name && outputs.has(c));
};
const caches = [];
for (const m of session.inputMetadata) {
  const present = presentOf(m.name);
  if (!present) continue;
  const shape = m.shape.map(d => (typeof d === 'number' ? d : null));
  const fixed = 'write_indices' in meta;
  // Growing caches: the one symbolic dimension besides the batch (axis 0 or
  // 1) is the sequence; fixed caches keep the sequence on axis 1.
  let seqAxis = 1;
  if (!fixed) seqAxis = m.shape.findIndex((d, i) => typeof d !== 'number' && !/batch/.test(String(d)));
  const dims = shape.map((d, i) => (d === null ? (i === seqAxis ? 0 : 1) : d));
  const size = dims.reduce((a, b) => a * b, 1);
  caches.push({ name: m.name, present, type: m.type, seqAxis, fixed, dims,
                value: tensor(m.type, new Array(size).fill(0), dims) });
}
const fixedLen = caches.length && caches[0].fixed ? caches[0].dims[1] : 0;

const prompt = args.prompt.trim().split(/\s+/).map(Number);
const steps = Number(args.steps);
const tokens = [...prompt];
const logitRows = [];
let slot = 0;
for (let pos = 0; pos < steps; ++pos) {
  if (pos >= tokens.length) throw new Error('internal: no token');
  const feeds = {};
  // Without a cache the model sees positions 0..pos, else just pos.
  const first = caches.length ? pos : 0;
  const ids = tokens.slice(first, pos + 1);
  const positions = ids.map((_, i) => first + i);
  for (const name of session.inputNames) {
    const m = meta[name];
    if (name === 'input_ids') feeds[name] = tensor(m.type, ids, [1, ids.length]);
    else if (name === 'position_ids') feeds[name] = tensor(m.type, positions, [1, ids.length]);
    else if (name === 'attention_mask') feeds[name] = tensor(m.type, new Array(pos + 1).fill(1), [1, pos + 1]);
    else if (name === 'write_indices') feeds[name] = tensor(m.type, [slot], [1]);
    else if (name === 'nonpad_kv_seqlen') feeds[name] = tensor(m.type, [slot + 1], [1]);
    else {
      const c = caches.find(c => c.name === name);
      if (!c) throw new Error(`ort-greedy: do not know how to feed input '${name}'`);
      feeds[name] = c.value;
    }
  }
  const result = await session.run(feeds);
  const all = toFloat32(result.logits);
  const vocab = result.logits.dims[result.logits.dims.length - 1];
  const logits = all.subarray(all.length - vocab);
  logitRows.push(Float32Array.from(logits));
  for (const c of caches) c.value = result[c.present];
  if (fixedLen) {
    ++slot;
    if (slot === fixedLen) {
      // Move the newest half of every cache to its front.
      const keep = fixedLen >> 1;
      for (const c of caches) {
        const [b, L, w] = c.value.dims;
        const data = c.value.data.slice();
        data.copyWithin(0, (L - keep) * w, L * w);
        data.fill(0, keep * w);
        c.value = new ort.Tensor(c.type, data, c.value.dims);
      }
      slot = keep;
    }
  }
  if (pos + 1 >= tokens.length && pos + 1 < steps) {
    let best = 0;
    for (let v = 1; v < vocab; ++v) if (logits[v] > logits[best]) best = v;
    tokens.push(best);
  }
}
fs.writeFileSync(args.tokensOut, tokens.slice(0, steps).join(' ') + '\n');
const out = new Float32Array(logitRows.length * logitRows[0].length);
logitRows.forEach((r, i) => out.set(r, i * r.length));
fs.writeFileSync(args.logitsOut, Buffer.from(out.buffer));
