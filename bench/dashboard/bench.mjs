// `gptlab serve` figures (see README, Results). Usage, from the repository root:
//   dotnet publish src/GptLab.Cli -c Release -o out && (cd bench/dashboard && npm install) && node bench/dashboard/bench.mjs
// GPTLAB=path/to/gptlab overrides the program; CHROMIUM the browser (default: chromium on PATH).
import { chromium } from "playwright-core";
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const gptlab = process.env.GPTLAB || path.resolve("out/gptlab");
const browserPath = process.env.CHROMIUM || execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"]).toString().trim();
const root = fs.mkdtempSync(path.join(os.tmpdir(), "gptlab-dash-bench-"));
const runs = path.join(root, "runs");
const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = ms => new Promise(r => setTimeout(r, ms));

function run(args, opts = {}) { return execFileSync(gptlab, args, { cwd: root, stdio: ["ignore", "pipe", "inherit"], ...opts }).toString(); }

// a real run for its config, then two synthetic ones: the same config with 100 and 10,000 metric lines
run(["train", "--out", "runs/seed", "--set", "max_iters=20", "--set", "eval_interval=10", "--set", "eval_iters=2", "--samples", "0", "--threads", "1"]);
for (const [name, lines] of [["small", 100], ["big", 10000]]) {
  const dir = path.join(runs, name);
  fs.mkdirSync(path.join(dir, "checkpoints"), { recursive: true });
  fs.copyFileSync(path.join(runs, "seed", "config.json"), path.join(dir, "config.json"));
  fs.writeFileSync(path.join(dir, "status.json"), JSON.stringify({ state: "finished", pid: 1, host: os.hostname(), started: new Date().toISOString(), updated: new Date().toISOString(), step: lines }));
  let text = "";
  for (let s = 1; s <= lines; s++) {
    text += JSON.stringify({ kind: "train", step: s, tokens: s * 768, loss: 4 / Math.sqrt(s), lr: 1e-3, grad_norm: 1, ms_per_step: 30, tokens_per_s: 25000, mfu: 0.02, wall_s: s * 0.03, time: new Date().toISOString() }) + "\n";
    if (s % 100 === 0) text += JSON.stringify({ kind: "eval", step: s, tokens: s * 768, train_loss: 4 / Math.sqrt(s), val_loss: 4.1 / Math.sqrt(s), val_nll: 4.1 / Math.sqrt(s), wall_s: s * 0.03, time: new Date().toISOString() }) + "\n";
  }
  fs.writeFileSync(path.join(dir, "metrics.jsonl"), text);
}

const server = spawn(gptlab, ["serve", "--root", "runs", "--port", "0"], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
const url = await new Promise((resolve, reject) => {
  server.stdout.on("data", d => { const m = /http:\/\/\S+\//.exec(d.toString()); if (m) resolve(m[0]); });
  server.on("exit", c => reject(new Error(`gptlab serve exited ${c}`)));
});
const cpuTicks = () => { const f = fs.readFileSync(`/proc/${server.pid}/stat`, "utf8").split(") ")[1].split(" "); return +f[11] + +f[12]; };
const rssMb = () => +/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.pid}/status`, "utf8"))[1] / 1024;
const hz = +execFileSync("getconf", ["CLK_TCK"]).toString();

const browser = await chromium.launch({ executablePath: browserPath, headless: true, args: ["--no-sandbox"] });
async function paint(name, expectedPoints) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const t0 = Date.now();
  await page.goto(`${url}#/run/${name}`);
  await page.waitForSelector(`#charts figure[data-points="${expectedPoints}"] canvas`, { timeout: 60000 });
  const ms = Date.now() - t0;
  const fcp = await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null);
  await page.close();
  return { ms, fcp };
}
const results = { small: [], big: [] };
await paint("small", 102);   // warm-up (JIT, caches), not counted
for (let i = 0; i < 5; i++) for (const [name, lines] of [["small", 100], ["big", 10000]]) {
  // the loss chart's points: train losses + 3 eval series (train loss, val loss, val NLL only when it differs: not here)
  results[name].push(await paint(name, lines + 2 * (lines / 100)));
}
const small = median(results.small.map(r => r.ms)), big = median(results.big.map(r => r.ms));
console.log(`run page, charts drawn (median of 5): 100 lines ${small} ms, 10,000 lines ${big} ms (×${(big / small).toFixed(2)}); first contentful paint ${median(results.big.map(r => r.fcp)).toFixed(0)} ms`);

// 3 real runs training and 2 browsers watching (a run page and a comparison of all three), 60 s
const trainers = ["t1", "t2", "t3"].map(n => spawn(gptlab, ["train", "--out", `runs/${n}`, "--set", "max_iters=100000", "--set", "eval_interval=50", "--set", "eval_iters=5", "--set", "log_interval=1", "--samples", "0", "--threads", "1"], { cwd: root, stdio: "ignore" }));
while (!["t1", "t2", "t3"].every(n => fs.existsSync(path.join(runs, n, "metrics.jsonl")))) await sleep(200);
const idleRss = rssMb();
const pages = [await browser.newPage(), await browser.newPage()];
await pages[0].goto(`${url}#/run/t1`);
await pages[1].goto(`${url}#/compare/t1,t2,t3`);
await sleep(5000);
const lines0 = ["t1", "t2", "t3"].reduce((n, r) => n + fs.readFileSync(path.join(runs, r, "metrics.jsonl"), "utf8").split("\n").length, 0);
const c0 = cpuTicks(), w0 = Date.now();
await sleep(60000);
const c1 = cpuTicks(), w1 = Date.now();
const lines1 = ["t1", "t2", "t3"].reduce((n, r) => n + fs.readFileSync(path.join(runs, r, "metrics.jsonl"), "utf8").split("\n").length, 0);
const cpu = (c1 - c0) / hz / ((w1 - w0) / 1000);
console.log(`server while 3 runs train (${((lines1 - lines0) / ((w1 - w0) / 1000)).toFixed(1)} metric lines/s) and 2 browsers watch: CPU ${(100 * cpu).toFixed(2)}% of one core, RSS ${rssMb().toFixed(0)} MB (${idleRss.toFixed(0)} MB before the pages opened)`);
for (const t of trainers) t.kill("SIGTERM");
await browser.close();
server.kill("SIGTERM");
await sleep(2000);
fs.rmSync(root, { recursive: true, force: true });
