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

// a real run for its config, then two synthetic ones: the same config with 100 and 100,000 metric lines
run(["train", "--out", "runs/seed", "--set", "max_iters=20", "--set", "eval_interval=10", "--set", "eval_iters=2", "--samples", "0", "--threads", "1"]);
function writeRun(name, lines, state = "finished", pid = 1) {
  const dir = path.join(runs, name);
  fs.mkdirSync(path.join(dir, "checkpoints"), { recursive: true });
  fs.copyFileSync(path.join(runs, "seed", "config.json"), path.join(dir, "config.json"));
  fs.writeFileSync(path.join(dir, "status.json"), JSON.stringify({ state, pid, host: os.hostname(), started: new Date(Date.now() - 1000).toISOString(), updated: new Date().toISOString(), step: lines }));
  const parts = [];
  for (let s = 1; s <= lines; s++) parts.push(trainLine(s), ...(s % 100 === 0 ? [evalLine(s)] : []));
  fs.writeFileSync(path.join(dir, "metrics.jsonl"), parts.join(""));
}
const trainLine = s => JSON.stringify({ kind: "train", step: s, tokens: s * 768, loss: 4 / Math.sqrt(s) + 0.05 * Math.sin(s), lr: 1e-3, grad_norm: 1, ms_per_step: 30, tokens_per_s: 25000, mfu: 0.02, wall_s: s * 0.03, time: new Date().toISOString() }) + "\n";
const evalLine = s => JSON.stringify({ kind: "eval", step: s, tokens: s * 768, train_loss: 4 / Math.sqrt(s), val_loss: 4.1 / Math.sqrt(s), val_nll: 4.1 / Math.sqrt(s), wall_s: s * 0.03, time: new Date().toISOString() }) + "\n";
writeRun("small", 100);
writeRun("big", 100000);

// a sweep of 1,000 configurations (the seeds' studies began with 1,316): created by gptlab, its trials filled in as
// finished, 10 intermediate values each (sqlite3 CLI)
fs.writeFileSync(path.join(root, "big-sweep.json"), JSON.stringify({
  data: path.join(root, "data", "shakespeare-char"), method: "grid", metric: "val_nll", max_iters: 500,
  parameters: { learning_rate: [1e-4, 2e-4, 3e-4, 5e-4, 7e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2], n_layer: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], dropout: [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45] },
}));
run(["sweep", "big-sweep.json", "--out", "runs/big-sweep", "--workers", "0"]);
{
  let sql = "BEGIN;\n";
  for (let id = 1; id <= 1000; id++) {
    const metric = 1.5 + ((id * 7919) % 1000) / 1000;
    sql += `UPDATE trials SET status='done', metric=${metric}, val_nll=${metric}, wall_s=${30 + id % 50}, tokens_per_s=${20000 + id % 5000}, worker='w${id % 2}' WHERE id=${id};\n`;
    for (let k = 0; k <= 10; k++) sql += `INSERT INTO evals VALUES (${id}, ${k * 50}, ${metric + 2.5 * (1 - k / 10) ** 2}, NULL, 0);\n`;
  }
  fs.writeFileSync(path.join(root, "fill.sql"), sql + "COMMIT;\n");
  execFileSync("sh", ["-c", `sqlite3 "${path.join(runs, "big-sweep", "study.db")}" < "${path.join(root, "fill.sql")}"`]);
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
const frames = page => page.evaluate(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))));   // drawn and painted
async function paint(name, expectedPoints, keep = false) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const t0 = Date.now();
  await page.goto(`${url}#/run/${name}`);
  await page.waitForSelector(`#charts figure[data-drawn] canvas`, { timeout: 120000 });
  if (expectedPoints != null) await page.waitForSelector(`#charts figure[data-points="${expectedPoints}"]`, { timeout: 1000 });
  const ms = Date.now() - t0;
  const fcp = await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null);
  if (!keep) await page.close();
  return { ms, fcp, page };
}
// the loss chart's points: train losses + 2 eval series (train loss, val loss; val NLL only when it differs: not here)
const points = lines => lines + 2 * (lines / 100);
const results = { small: [], big: [] };
await paint("small", points(100));   // warm-up (JIT, caches), not counted
// the big run is sent as its envelope (its point count is the envelope's, not checked here)
for (let i = 0; i < 3; i++) for (const [name, lines] of [["small", 100], ["big", 100000]]) results[name].push(await paint(name, name === "small" ? points(lines) : null));
const small = median(results.small.map(r => r.ms)), big = median(results.big.map(r => r.ms));
console.log(`run page, charts drawn (median of 3): 100 lines ${small} ms, 100,000 lines ${big} ms (×${(big / small).toFixed(2)}; the first, cold open ${results.big[0].ms} ms); first contentful paint ${median(results.big.map(r => r.fcp)).toFixed(0)} ms`);

// interactions on the 100,000-line page: drag-zoom on the loss chart, double-click reset, smoothing, log scale
{
  const { page } = await paint("big", null, true);
  const over = page.locator("#charts figure").first().locator(".u-over");
  const box = await over.boundingBox();
  const timed = async act => { const t0 = Date.now(); await act(); await frames(page); return Date.now() - t0; };
  const zoom = [], reset = [], smooth = [], log = [];
  for (let i = 0; i < 3; i++) {
    zoom.push(await timed(async () => { await page.mouse.move(box.x + box.width * 0.3, box.y + 20); await page.mouse.down(); await page.mouse.move(box.x + box.width * 0.6, box.y + 40, { steps: 3 }); await page.mouse.up(); }));
    reset.push(await timed(() => over.dblclick()));
  }
  for (const v of ["0.6", "0.9", "0"]) smooth.push(await timed(() => page.locator("#smooth").fill(v)));
  for (let i = 0; i < 2; i++) log.push(await timed(() => page.locator("#log-y").click()));
  console.log(`100,000-line run page interactions (median): zoom ${median(zoom)} ms, reset ${median(reset)} ms, smoothing ${median(smooth)} ms, log scale ${median(log)} ms`);
  await page.close();
}

// the 1,000-trial sweep page: load until every plot is drawn, colour-by switch, brushing an axis, zoom on the curves
{
  const loads = [];
  let page;
  for (let i = 0; i < 3; i++) {
    page?.close();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const t0 = Date.now();
    await page.goto(`${url}#/sweep/big-sweep`);
    await page.waitForFunction(() => document.querySelectorAll("#parallel polyline.trial-line").length === 1000 && document.querySelector("#curves canvas"), null, { timeout: 120000 });
    await frames(page);
    loads.push(Date.now() - t0);
  }
  const timed = async act => { const t0 = Date.now(); await act(); await frames(page); return Date.now() - t0; };
  const colour = [];
  for (const p of ["n_layer", "dropout", "learning_rate"]) colour.push(await timed(() => page.selectOption("#colour-by", p)));
  const brush = [];
  for (let i = 0; i < 3; i++) {
    const axis = page.locator("#parallel rect.brush-area[data-axis='n_layer']");
    await axis.scrollIntoViewIfNeeded();
    const b = await axis.boundingBox();
    await page.mouse.move(b.x + b.width / 2, b.y + 2); await page.mouse.down(); await page.mouse.move(b.x + b.width / 2, b.y + b.height * 0.3, { steps: 3 });
    brush.push(await timed(async () => { await page.mouse.up(); await page.waitForFunction(() => document.querySelector("#brush-note")?.textContent.includes("brushed")); }));
    if (i === 0) console.log(`  brushed n_layer's top 30%: ${await page.locator("#brush-note").innerText()}`);
    await timed(() => page.locator("#clear-brushes").click());
  }
  const over = page.locator("#curves .u-over");
  await over.scrollIntoViewIfNeeded();
  const box = await over.boundingBox();
  const zoom = [];
  for (let i = 0; i < 3; i++) {
    zoom.push(await timed(async () => { await page.mouse.move(box.x + box.width * 0.2, box.y + 20); await page.mouse.down(); await page.mouse.move(box.x + box.width * 0.5, box.y + 40, { steps: 3 }); await page.mouse.up(); }));
    await over.dblclick();
  }
  console.log(`1,000-trial sweep page (median): drawn ${median(loads)} ms; colour-by switch ${median(colour)} ms; brushing ${median(brush)} ms; curves zoom ${median(zoom)} ms`);
  await page.close();
}

// 8 live runs (each appending 10 training lines a second, an evaluation every 100) and 4 pages watching them — the
// runs table, a run page and two comparisons of four — for 60 s: the server's CPU and memory
const live = Array.from({ length: 8 }, (_, i) => `live${i + 1}`);
live.forEach(n => writeRun(n, 100, "running", process.pid));
let step = 100;
const writer = setInterval(() => { step++; for (const n of live) fs.appendFileSync(path.join(runs, n, "metrics.jsonl"), trainLine(step) + (step % 100 === 0 ? evalLine(step) : "")); }, 100);
const idleRss = rssMb();
const pages = await Promise.all([0, 1, 2, 3].map(() => browser.newPage({ viewport: { width: 1400, height: 1000 } })));
await pages[0].goto(`${url}#/`);
await pages[1].goto(`${url}#/run/live1`);
await pages[2].goto(`${url}#/compare/${live.slice(0, 4).join(",")}`);
await pages[3].goto(`${url}#/compare/${live.slice(4).join(",")}`);
await sleep(5000);
const c0 = cpuTicks(), w0 = Date.now(), s0 = step;
await sleep(60000);
const c1 = cpuTicks(), w1 = Date.now(), s1 = step;
const cpu = (c1 - c0) / hz / ((w1 - w0) / 1000);
const shown = await pages[1].locator("#charts figure").first().getAttribute("data-points");
console.log(`server while 8 runs grow (${(8 * (s1 - s0) / ((w1 - w0) / 1000)).toFixed(0)} metric lines/s in all) and 4 pages watch: CPU ${(100 * cpu).toFixed(1)}% of one core, RSS ${rssMb().toFixed(0)} MB (${idleRss.toFixed(0)} MB before the pages opened); the run page shows ${shown} loss points (the file: ${step} steps)`);
clearInterval(writer);
await browser.close();
server.kill("SIGTERM");
await sleep(2000);
fs.rmSync(root, { recursive: true, force: true });
