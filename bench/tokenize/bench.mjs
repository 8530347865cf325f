// tiktoken's own throughput (npm tiktoken 1.0.22: OpenAI's Rust tokenizer compiled to WASM) encoding a text file
// with GPT-2's encoding (r50k_base), as `gptlab prepare --tokenizer gpt2` does (ordinary text: no special tokens).
// One thread (WASM in one Node.js isolate); with --workers N the file is cut into N parts encoded in worker threads.
// usage: node bench.mjs FILE [--workers N] [--rounds 3]
import fs from "node:fs";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { get_encoding } from "tiktoken";

if (!isMainThread) {
  const enc = get_encoding("gpt2");
  const n = enc.encode_ordinary(workerData).length;
  enc.free();
  parentPort.postMessage(n);
} else {
  const args = process.argv.slice(2);
  const file = args[0];
  const workers = Number(args[args.indexOf("--workers") + 1] || 1) || 1;
  const rounds = Number(args.includes("--rounds") ? args[args.indexOf("--rounds") + 1] : 3);
  const text = fs.readFileSync(file, "utf8");
  const mb = Buffer.byteLength(text) / 1e6;
  // cut at line ends so no pre-token spans two parts (ids then equal the whole file's)
  const parts = [];
  let start = 0;
  for (let i = 1; i <= workers; i++) {
    let end = i === workers ? text.length : text.indexOf("\n", Math.floor(text.length * i / workers)) + 1 || text.length;
    parts.push(text.slice(start, end));
    start = end;
  }
  const times = [];
  let tokens = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    if (workers === 1) {
      const enc = get_encoding("gpt2");
      tokens = enc.encode_ordinary(text).length;
      enc.free();
    } else {
      const counts = await Promise.all(parts.map(p => new Promise((ok, bad) => {
        const w = new Worker(new URL(import.meta.url), { workerData: p });
        w.on("message", ok); w.on("error", bad);
      })));
      tokens = counts.reduce((a, b) => a + b, 0);
    }
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  const s = times[Math.floor(times.length / 2)];
  console.log(JSON.stringify({ tool: "tiktoken (npm, wasm)", workers, mb: +mb.toFixed(1), seconds: +s.toFixed(2), mb_per_s: +(mb / s).toFixed(2), tokens }));
}
