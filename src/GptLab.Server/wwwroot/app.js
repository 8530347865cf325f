// GptLab dashboard: one page, hash routes, live updates over Server-Sent Events. No build step; charts by uPlot.
"use strict";

const main = document.getElementById("main");
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
let cleanup = [];   // what the current page must stop (event streams, timers, charts) when another opens

// ---------- small helpers ----------
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "class") e.className = v;
    else if (k === "style") e.style.cssText = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c != null) e.append(c instanceof Node ? c : String(c));
  return e;
}
async function api(path, init) {
  const r = await fetch(path, init);
  if (!r.ok) throw new Error(`${r.status}: ${await r.text()}`);
  return r.json();
}
// whitespace and control characters made visible (a space token is otherwise an invisible label): ␣ ↵ ⇥ ␍ \xNN
const showWhitespace = t => [...t].map(c => c === " " ? "␣" : c === "\n" ? "↵" : c === "\t" ? "⇥" : c === "\r" ? "␍"
  : c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127 ? `\\x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}` : c).join("");
window.gptlabVisible = showWhitespace;   // for the browser tests
const num = (v, d = 4) => (v == null || !isFinite(v)) ? "–" : Number(v).toFixed(d);
const int = v => (v == null || !isFinite(v)) ? "–" : Math.round(v).toLocaleString("en-US");
const secs = s => s == null ? "–" : s < 120 ? `${s.toFixed(0)} s` : s < 7200 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`;
const status = s => el("span", { class: `status ${s}`, "data-status": s }, s);
const runLink = name => el("a", { href: `#/run/${encodeURIComponent(name)}` }, name);
const printable = s => s.replace(/\n/g, "↵").replace(/\t/g, "→").replace(/ /g, "␣");
function setLive(on) { document.getElementById("live").classList.toggle("on", on); }
function showError(e) { main.replaceChildren(el("p", { class: "error" }, String(e.message || e))); }

function sortableTable(columns, rows, { initial, onRow } = {}) {
  // columns: [{key, label, num, render(row)}]; rows: objects. Click a header to sort.
  let sortKey = initial?.key, dir = initial?.dir || 1;
  const tbody = el("tbody");
  const heads = columns.map(c => el("th", {
    class: `sortable${c.num ? " num" : ""}`, "data-key": c.key,
    onclick: () => { dir = sortKey === c.key ? -dir : 1; sortKey = c.key; draw(); },
  }, c.label));
  const table = el("table", {}, el("thead", {}, el("tr", {}, heads)), tbody);
  function draw() {
    const sorted = [...table._rows];
    if (sortKey) sorted.sort((a, b) => {
      const x = a[sortKey], y = b[sortKey];
      if (x == null) return 1; if (y == null) return -1;
      return (x < y ? -1 : x > y ? 1 : 0) * dir;
    });
    heads.forEach((h, i) => h.className = `sortable${columns[i].num ? " num" : ""}${columns[i].key === sortKey ? (dir > 0 ? " sorted-asc" : " sorted-desc") : ""}`);
    tbody.replaceChildren(...sorted.map(r => {
      const tr = el("tr", {}, columns.map(c => el("td", { class: c.num ? "num" : "" }, c.render ? c.render(r) : r[c.key] ?? "–")));
      onRow?.(tr, r);
      return tr;
    }));
  }
  table._rows = rows;
  table.update = newRows => { table._rows = newRows; draw(); };
  draw();
  return table;
}

// ---------- charts ----------
// Axis tick labels with as many significant digits as it takes to tell the ticks apart — 6e-4, 8e-4, 1e-3, never
// "0.001, 0.001" (uPlot's default rounds to 3 decimals) — and exponents only for very small or large values.
function tickText(v, digits, exp) {
  if (v == null || !isFinite(v)) return "";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (exp) return v.toExponential(Math.max(0, digits - 1)).replace(/\.?0+e/, "e").replace("e+", "e");
  const t = +v.toPrecision(digits);
  return a >= 1e4 ? t.toLocaleString("en-US") : String(t);
}
function tickLabels(u, vals) {
  const finite = vals.filter(v => v != null && isFinite(v));
  const distinct = new Set(finite).size;
  const top = Math.max(0, ...finite.map(Math.abs));
  const exp = top > 0 && (top < 1e-2 || top >= 1e6);   // one notation per axis: all small (a learning rate) or huge
  for (let d = 1; d <= 10; d++) {
    const labels = vals.map(v => tickText(v, d, exp));
    if (new Set(labels.filter(l => l !== "")).size === distinct) return labels;
  }
  return vals.map(v => String(v));
}
window.gptlabTickLabels = tickLabels;   // for the browser tests

// An exponential moving average with TensorBoard's debiasing (the first points are not pulled towards 0);
// nulls are skipped. weight 0: the raw values.
function ema(ys, weight) {
  let avg = 0, n = 0;
  return ys.map(y => {
    if (y == null || !isFinite(y)) return null;
    avg = weight * avg + (1 - weight) * y; n++;
    return avg / (1 - weight ** n);
  });
}
window.gptlabEma = ema;   // for the browser tests

// A noisy series drawn raw and faint behind its smoothed line (weight > 0), as W&B and TensorBoard draw them.
function smoothed(series, weight, color) {
  if (!(weight > 0)) return [{ ...series, color }];
  return [{ ...series, label: `${series.label} (raw)`, color: color + "40" }, { ...series, label: `${series.label} (smoothed)`, ys: ema(series.ys, weight), color }];
}

// A log scale's range: the data's, widened by 5% (a ratio) each way.
function fitLog(u, min, max) {
  if (!(min > 0) || !(max > 0)) return [min, max];
  return min === max ? [min / 1.5, max * 1.5] : [min / 1.05, max * 1.05];
}

// Ticks of a fitted log axis: 1-2-5 × 10^k inside the range, or (a range narrower than that) four ticks evenly
// spaced in log — uPlot's own log splits expect whole decades.
function logSplits(u, axisIdx, min, max) {
  if (!(min > 0) || !(max > min)) return min > 0 ? [min] : [];
  const out = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++)
    for (const m of [1, 2, 5]) { const v = +(m * 10 ** e).toPrecision(12); if (v >= min && v <= max) out.push(v); }
  if (out.length >= 3) return out;
  return [0, 1, 2, 3].map(i => +(min * (max / min) ** (i / 3)).toPrecision(3));
}

// A line chart over series that need not share x values: the union of x, gaps where a series has no point.
function lineChart(host, { title, xLabel, yLabel, logY, logX, points, colors }) {
  const plot = el("div");
  // the chart as a PNG file: the canvas uPlot draws, taken when the link is clicked
  const png = el("a", { class: "png", href: "#", title: "download this chart as PNG", onclick: e => {
    const canvas = plot.querySelector("canvas");
    if (!canvas) { e.preventDefault(); return; }
    e.currentTarget.href = canvas.toDataURL("image/png");
    e.currentTarget.download = `${title}.png`.replace(/[^\w.-]+/g, "_");
  } }, "PNG");
  const fig = el("figure", { class: "chart" }, el("figcaption", {}, title, " ", el("span", { class: "axes" }, `(${yLabel} vs ${xLabel})`), " ", png));
  fig.append(plot);
  host.append(fig);
  let u = null, lastSeries = [];
  function build(series) {
    const xs = [...new Set(series.flatMap(s => s.xs))].sort((a, b) => a - b);
    const index = new Map(xs.map((x, i) => [x, i]));
    const data = [xs, ...series.map(s => { const ys = new Array(xs.length).fill(null); s.xs.forEach((x, i) => { const y = s.ys[i]; ys[index.get(x)] = (y == null || !isFinite(y) || (logY && y <= 0)) ? null : y; }); return ys; })];
    return data;
  }
  function opts(series) {
    return {
      width: Math.max(300, plot.clientWidth || 440), height: 240,
      // a log axis fits the data (uPlot's default snaps it out to whole decades: 10 for a loss, 100,000 for tokens/s)
      scales: { x: { time: false, distr: logX ? 3 : 1, ...(logX ? { range: fitLog } : {}) }, y: { distr: logY ? 3 : 1, ...(logY ? { range: fitLog } : {}) } },
      hooks: { setScale: [(u, key) => { if (key === "y") fig.dataset.yRange = `${u.scales.y.min},${u.scales.y.max}`; }] },
      axes: [{ label: xLabel, size: 40, values: tickLabels, ...(logX ? { splits: logSplits } : {}) },
        { label: yLabel, size: 60, values: tickLabels, ...(logY ? { splits: logSplits } : {}) }],
      legend: { show: !points || series.length <= 12 },
      series: [{ label: xLabel }, ...series.map((s, i) => ({
        label: s.label, stroke: s.color || (colors ? colors[i] : PALETTE[i % PALETTE.length]), width: 1.5, spanGaps: true, ...(s.dash ? { dash: s.dash } : {}),
        ...(points ? { paths: () => null, points: { show: true, size: 7, fill: s.color || PALETTE[i % PALETTE.length] } } : { points: { show: false } }),
      }))],
    };
  }
  const chart = {
    figure: fig,
    set(series) {
      const sameShape = u && series.length === lastSeries.length && series.every((s, i) => s.label === lastSeries[i].label && s.color === lastSeries[i].color);
      if (sameShape) u.setData(build(series));
      else { u?.destroy(); u = new uPlot(opts(series), build(series), plot); }
      lastSeries = series;
      fig.dataset.points = String(series.filter(s => !s.dash).reduce((n, s) => n + s.xs.length, 0));   // data, not reference lines
    },
    destroy() { u?.destroy(); u = null; },
  };
  cleanup.push(() => chart.destroy());
  return chart;
}

function bars(rows, cls) {
  // rows: [{label, value, text}]; value in 0..1 of the widest bar
  const max = Math.max(1e-12, ...rows.map(r => r.value));
  return el("div", { class: `bars ${cls || ""}` }, rows.flatMap(r => [
    el("span", { class: "label" }, r.label),
    el("div", {}, el("div", { class: "bar", style: `width:${(100 * r.value / max).toFixed(1)}%` })),
    el("span", { class: "value" }, r.text),
  ]));
}

// A scatter plot in SVG: every point drawn, even several at one x (a grid's repeated values); categories on x.
function scatter({ title, xLabel, yLabel, xs, ys, logX, cats, labels }) {
  const W = 380, H = 220, L = 58, R = 14, T = 10, B = 42, ns = "http://www.w3.org/2000/svg";
  const fx = v => logX ? Math.log10(v) : v;
  const ok = xs.map((x, i) => isFinite(fx(x)) && ys[i] != null && isFinite(ys[i]));
  const X = xs.filter((_, i) => ok[i]).map(fx), Y = ys.filter((_, i) => ok[i]);
  const span = (lo, hi) => hi > lo ? [lo - (hi - lo) * 0.06, hi + (hi - lo) * 0.06] : [lo - 0.5, hi + 0.5];
  const [x0, x1] = span(Math.min(...X), Math.max(...X)), [y0, y1] = span(Math.min(...Y), Math.max(...Y));
  const px = v => L + (fx(v) - x0) / (x1 - x0) * (W - L - R), py = v => T + (1 - (v - y0) / (y1 - y0)) * (H - T - B);
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", W); svg.setAttribute("height", H); svg.setAttribute("class", "scatter");
  const add = (tag, attrs, text) => { const e = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); if (text != null) e.textContent = text; svg.append(e); return e; };
  add("rect", { x: L, y: T, width: W - L - R, height: H - T - B, fill: "none", stroke: "#cbd5e1" });
  const fmt = v => Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(1) : +v.toPrecision(3);
  const xTicks = cats ? cats.map((c, i) => [i, c]) : [...new Set([Math.min(...xs.filter((_, i) => ok[i])), Math.max(...xs.filter((_, i) => ok[i]))])].map(v => [v, fmt(v)]);
  xTicks.forEach(([v, t]) => add("text", { x: cats ? L + (v - x0) / (x1 - x0) * (W - L - R) : px(v), y: H - B + 14, "text-anchor": "middle", "font-size": 11 }, t));
  [y0 + (y1 - y0) * 0.06, (y0 + y1) / 2, y1 - (y1 - y0) * 0.06].forEach(v => add("text", { x: L - 4, y: py(v) + 4, "text-anchor": "end", "font-size": 11 }, fmt(v)));
  add("text", { x: (L + W - R) / 2, y: H - 6, "text-anchor": "middle", "font-size": 12, class: "axis-label" }, xLabel + (logX ? " (log)" : ""));
  add("text", { x: 12, y: (T + H - B) / 2, transform: `rotate(-90 12 ${(T + H - B) / 2})`, "text-anchor": "middle", "font-size": 12, class: "axis-label" }, yLabel);
  xs.forEach((x, i) => { if (!ok[i]) return; const c = add("circle", { cx: cats ? L + (x - x0) / (x1 - x0) * (W - L - R) : px(x), cy: py(ys[i]), r: 4.5, fill: PALETTE[0], opacity: 0.8, class: "point" }); add.call(null, "title", {}, labels?.[i]); c.append(svg.lastChild); });
  return el("figure", { class: "chart" }, el("figcaption", {}, title), svg);
}

// colouring by a numeric value in 0..1: plasma from dark blue to orange, stopped before its pale yellow end so the
// best trials stay readable on white (viridis ended in pale yellow)
const RAMP = [[13, 8, 135], [84, 2, 163], [139, 10, 165], [185, 50, 137], [219, 92, 104], [236, 120, 60], [230, 120, 20]];
function ramp(t) {
  t = Math.min(1, Math.max(0, isFinite(t) ? t : 0)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(t)), f = t - i;
  const c = RAMP[i].map((a, k) => Math.round(a + (RAMP[i + 1][k] - a) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

window.gptlabRamp = ramp;   // for the browser tests

// ---------- live feed of one run ----------
// Holds a run's metric and sample records and keeps them growing from the server's event stream.
async function runFeed(name, onChange) {
  const [run, metrics] = await Promise.all([api(`api/run?name=${encodeURIComponent(name)}`), api(`api/run/metrics?name=${encodeURIComponent(name)}`)]);
  const feed = { run, records: metrics.records, samples: run.samples, state: run.summary.status };
  const es = new EventSource(`api/run/events?name=${encodeURIComponent(name)}&offset=${metrics.offset}&samples_offset=${run.samples_offset}`);
  es.onopen = () => setLive(true);
  es.onerror = () => setLive(false);
  es.addEventListener("metrics", e => { const records = JSON.parse(e.data).records; feed.records.push(...records); onChange(feed, "metrics", records); });
  es.addEventListener("samples", e => { feed.samples.push(...JSON.parse(e.data).records); onChange(feed, "samples"); });
  es.addEventListener("status", e => { feed.state = JSON.parse(e.data).state; onChange(feed, "status"); });
  es.addEventListener("reset", () => { es.close(); route(); });   // the run was rewound (resumed): start over
  cleanup.push(() => { es.close(); setLive(false); });
  return feed;
}

const METRICS = [
  { key: "lr", title: "Learning rate", y: "lr" },
  { key: "grad_norm", title: "Gradient norm", y: "‖g‖" },
  { key: "tokens_per_s", title: "Throughput", y: "tokens/s" },
  { key: "ms_per_step", title: "Step time", y: "ms/step" },
  { key: "mfu", title: "MFU", y: "% of peak", scale: 100 },
];

// ---------- pages ----------
async function runsPage() {
  const [runs, sweeps] = await Promise.all([api("api/runs"), api("api/sweeps")]);
  const selected = new Set();
  const filter = el("input", { type: "search", placeholder: "filter by name or status", id: "filter" });
  const compare = el("button", { id: "compare", disabled: true, onclick: () => location.hash = `#/compare/${[...selected].map(encodeURIComponent).join(",")}` }, "Compare selected");
  const columns = [
    { key: "pick", label: "", render: r => el("input", { type: "checkbox", checked: selected.has(r.name), onchange: e => { e.target.checked ? selected.add(r.name) : selected.delete(r.name); compare.disabled = selected.size < 1; } }) },
    { key: "name", label: "run", render: r => runLink(r.name) },
    { key: "status", label: "status", render: r => status(r.status) },
    { key: "steps", label: "steps", num: true, render: r => int(r.steps) },
    { key: "tokens", label: "tokens", num: true, render: r => int(r.tokens) },
    { key: "best_val_nll", label: "best val NLL", num: true, render: r => num(r.best_val_nll) },
    { key: "perplexity", label: "perplexity", num: true, render: r => num(r.perplexity, 2) },
    { key: "parameters", label: "parameters", num: true, render: r => r.parameters ? `${(r.parameters / 1e6).toFixed(2)}M` : "–" },
    { key: "world_size", label: "ranks", num: true },
    { key: "wall_s", label: "wall", num: true, render: r => secs(r.wall_s) },
    { key: "started", label: "started", render: r => r.started ? new Date(r.started).toLocaleString() : "–" },
  ];
  const visible = rs => { const q = filter.value.toLowerCase(); return rs.filter(r => !q || r.name.toLowerCase().includes(q) || r.status.includes(q)); };
  let all = runs;
  const table = sortableTable(columns, visible(all), { onRow: (tr, r) => { tr.dataset.run = r.name; } });
  table.id = "runs";
  filter.addEventListener("input", () => table.update(visible(all)));
  const sweepTable = sortableTable([
    { key: "name", label: "sweep", render: s => el("a", { href: `#/sweep/${encodeURIComponent(s.name)}` }, s.name) },
    { key: "method", label: "method" }, { key: "metric", label: "metric" },
    { key: "configurations", label: "configurations", num: true },
    { key: "done", label: "done", num: true }, { key: "running", label: "running", num: true }, { key: "queued", label: "queued", num: true }, { key: "failed", label: "failed", num: true },
    { key: "phase", label: "phase", render: s => `${s.phase} of ${s.phases}` },
    { key: "best", label: "best", num: true, render: s => num(s.best) },
  ], sweeps);
  sweepTable.id = "sweeps";
  main.replaceChildren(
    el("h1", {}, "Runs"),
    el("div", { class: "toolbar" }, filter, compare, el("span", { class: "muted" }, "status updates live; click a header to sort")),
    runs.length ? table : el("p", { class: "muted" }, "no runs here yet — `gptlab train --out runs/NAME` writes one"),
    el("h2", {}, "Sweeps"),
    sweeps.length ? sweepTable : el("p", { class: "muted" }, "no sweeps here — `gptlab sweep SPEC --out runs/NAME` starts one"));
  const timer = setInterval(async () => {
    try { all = await api("api/runs"); table.update(visible(all)); sweepTable.update(await api("api/sweeps")); setLive(true); }
    catch { setLive(false); }
  }, 2000);
  cleanup.push(() => clearInterval(timer));
}

async function runPage(name) {
  let xKey = "step", logY = false, smooth = 0;
  const charts = el("div", { class: "charts", id: "charts" });
  const head = el("h1", {}, name, " ");
  const samplesBox = el("div", { class: "samples", id: "samples" });
  let feed, lossChart, metricCharts = [], baselines = [];
  const draw = () => {
    const train = feed.records.filter(r => r.kind === "train"), evals = feed.records.filter(r => r.kind === "eval");
    const xs = rs => rs.map(r => r[xKey]);
    const loss = [...smoothed({ label: "train loss (step)", xs: xs(train), ys: train.map(r => r.loss) }, smooth, PALETTE[0]),
      { label: "train loss (eval)", xs: xs(evals), ys: evals.map(r => r.train_loss), color: PALETTE[1] },
      { label: "val loss", xs: xs(evals), ys: evals.map(r => r.val_loss), color: PALETTE[2] }];
    if (evals.some(r => r.val_nll != null && r.val_nll !== r.val_loss)) loss.push({ label: "val NLL", xs: xs(evals), ys: evals.map(r => r.val_nll), color: PALETTE[3] });
    // the dataset's Kneser–Ney n-gram NLLs, dashed across the data's x range: the strongest always, others in range
    const all = [...train, ...evals], ys = loss.flatMap(l => l.ys).filter(v => v != null && isFinite(v));
    if (all.length && ys.length && baselines.length) {
      const [lo, hi] = [Math.min(...ys), Math.max(...ys)], top = Math.max(...baselines.map(b => b.order));
      const x0 = Math.min(...all.map(r => r[xKey])), x1 = Math.max(...all.map(r => r[xKey]));
      baselines.filter(b => b.order === top || (b.nll >= lo && b.nll <= hi)).forEach(b =>
        loss.push({ label: `${b.order}-gram (Kneser–Ney) ${num(b.nll, 3)}`, xs: [x0, x1], ys: [b.nll, b.nll], color: "#6b7280", dash: [6, 4] }));
    }
    lossChart.set(loss);
    METRICS.forEach((m, i) => metricCharts[i].set(smoothed({ label: m.title, xs: xs(train), ys: train.map(r => r[m.key] == null ? null : r[m.key] * (m.scale || 1)) },
      m.key === "lr" ? 0 : smooth, PALETTE[0])));
  };
  const makeCharts = () => {
    [lossChart, ...metricCharts].forEach(c => c?.destroy());
    charts.replaceChildren();
    const xLabel = xKey === "step" ? "step" : "tokens";
    // the loss axis says what it holds: cross-entropy is in nats/token; squentropy or MSE is its own quantity, and
    // only the val NLL line compares across losses
    const lossKind = feed.run.config.loss || "cross_entropy";
    lossChart = lineChart(charts, { title: "Loss", xLabel, yLabel: lossKind === "cross_entropy" ? "loss (nats/token)" : `${lossKind} loss · val NLL (nats)`, logY });
    metricCharts = METRICS.map(m => lineChart(charts, { title: m.title, xLabel, yLabel: m.y, logY: logY && m.key !== "mfu" }));
    draw();
  };
  const drawSamples = () => samplesBox.replaceChildren(...(feed.samples.length ? feed.samples.map(s => el("div", { class: "sample" },
    el("div", { class: "muted" }, `step ${int(s.step)} · val NLL ${num(s.val_loss)}`), el("pre", {}, s.text))) : [el("p", { class: "muted" }, "no samples yet (written at each evaluation)")]));
  // the summary line, the checkpoint list and "try the model" follow the run as it trains: re-read after each
  // evaluation (a checkpoint may have been written) and when the status changes, at most every 2 s
  let refreshing = null, lastRefresh = 0;
  const refresh = () => {
    if (refreshing) return;
    const wait = Math.max(0, 2000 - (Date.now() - lastRefresh));
    refreshing = setTimeout(async () => {
      try { const r = await api(`api/run?name=${encodeURIComponent(name)}`); renderLive(r); } catch { /* the next event retries */ }
      lastRefresh = Date.now(); refreshing = null;
    }, wait);
    cleanup.push(() => clearTimeout(refreshing));
  };
  feed = await runFeed(name, (f, what, records) => {
    if (what === "metrics") { draw(); if ((records || []).some(r => r.kind === "eval")) refresh(); }
    if (what === "samples") drawSamples();
    if (what === "status") { head.replaceChildren(name, " ", status(f.state)); refresh(); }
  });
  head.append(status(feed.state));
  const run = feed.run;
  baselines = run.baselines || [];
  const changed = new Map(run.changes.map(c => [c.key, c]));
  const config = el("table", { class: "config", id: "config" }, el("thead", {}, el("tr", {}, el("th", {}, "key"), el("th", {}, "value"), el("th", {}, run.preset ? `preset ${run.preset}` : "default"))),
    el("tbody", {}, Object.entries(run.config).map(([k, v]) => {
      const c = changed.get(k);
      return el("tr", {}, el("td", { class: c ? "changed" : "" }, k), el("td", { class: c ? "changed" : "" }, JSON.stringify(v)), el("td", { class: "muted" }, c ? (c.preset ?? "–") : ""));
    })));
  const summaryText = r => `${int(r.summary.steps)} steps · ${int(r.summary.tokens)} tokens · best val NLL ${num(r.summary.best_val_nll)} · ${r.summary.parameters ? (r.summary.parameters / 1e6).toFixed(2) + "M parameters · " : ""}${secs(r.summary.wall_s)}`;
  const checkpointItems = r => r.checkpoints.map(c => el("li", {}, c.step != null ? `${c.kind}: step ${int(c.step)}, best val NLL ${num(c.best_val_nll)}` : `${c.kind}: none`));
  const summary = el("p", { class: "muted", id: "summary" }, summaryText(run));
  const checkpoints = el("ul", { id: "checkpoints" }, checkpointItems(run));
  const xSelect = el("select", { id: "x-axis", onchange: e => { xKey = e.target.value; makeCharts(); } }, el("option", { value: "step" }, "x: step"), el("option", { value: "tokens" }, "x: tokens"));
  const logBox = el("label", {}, el("input", { type: "checkbox", id: "log-y", onchange: e => { logY = e.target.checked; makeCharts(); } }), " log scale");
  const smoothShown = el("span", { class: "muted" }, "0");
  const smoothBox = el("label", { title: "exponential moving average of the noisy lines; the raw values stay faint behind" }, "smoothing ",
    el("input", { type: "range", id: "smooth", min: 0, max: 0.99, step: 0.01, value: 0, oninput: e => { smooth = +e.target.value; smoothShown.textContent = String(smooth); draw(); } }), " ", smoothShown);
  const hint = el("span", { class: "muted small" }, "drag to zoom · double-click to reset · click a legend entry to hide it");
  const modelBox = el("div", { id: "try-model" });
  let modelShown = false;
  const renderLive = r => {
    summary.textContent = summaryText(r);
    checkpoints.replaceChildren(...checkpointItems(r));
    if (modelShown) modelBox.firstChild.setCheckpoints(r.checkpoints);
    else if (r.checkpoints.some(c => c.step != null)) { modelBox.replaceChildren(tryModel(name, r.checkpoints)); modelShown = true; }
    else modelBox.replaceChildren(el("p", { class: "muted" }, "no checkpoint yet (one is written at each evaluation)"));
  };
  renderLive(run);
  main.replaceChildren(head,
    summary,
    el("div", { class: "toolbar" }, xSelect, logBox, smoothBox, el("a", { href: `#/compare/${encodeURIComponent(name)}` }, "compare with…"),
      el("span", { class: "muted" }, "download metrics:"),
      el("a", { href: `api/run/metrics.csv?name=${encodeURIComponent(name)}`, download: "", id: "metrics-csv" }, "CSV"),
      el("a", { href: `api/run/metrics.jsonl?name=${encodeURIComponent(name)}`, download: "", id: "metrics-jsonl" }, "JSONL")),
    hint,
    charts,
    el("h2", {}, "Try the model"), modelBox,
    el("div", { class: "two" },
      el("div", {}, el("h2", {}, "Samples at each evaluation"), samplesBox),
      el("div", {}, el("h2", {}, "Config ", el("span", { class: "muted" }, "(highlighted: changed from the preset)")), config, el("h2", {}, "Checkpoints"), checkpoints)));
  makeCharts();
  drawSamples();
}

function tryModel(name, checkpointList) {
  const prompt = el("textarea", { id: "prompt", rows: 3, cols: 60 }, "ROMEO:");
  // the sampler's options, as `gptlab sample` takes them, and which checkpoint answers
  const field = (id, label, value, attrs) => el("label", { class: "field" }, label, " ", el("input", { id, type: "number", value, ...attrs }));
  const controls = el("div", { class: "toolbar", id: "sampler" },
    field("temperature", "temperature", 0.8, { min: 0, max: 10, step: 0.1 }), field("top-k", "top-k", 200, { min: 0, step: 1 }),
    field("top-p", "top-p", 1, { min: 0.01, max: 1, step: 0.05 }), field("tokens", "tokens", 300, { min: 1, max: 2000, step: 50 }),
    field("seed", "seed", 1337, { step: 1 }));
  const which = el("select", { id: "checkpoint" });
  const setCheckpoints = list => {
    const keep = which.value;
    which.replaceChildren(...list.filter(c => c.step != null).map(c => el("option", { value: c.kind }, `${c.kind} checkpoint (step ${int(c.step)})`)));
    if ([...which.options].some(o => o.value === keep)) which.value = keep;
  };
  setCheckpoints(checkpointList);
  controls.append(el("label", { class: "field" }, "model ", which));
  const value = id => controls.querySelector(`#${id}`).value;
  const out = el("div", { id: "predictions" });
  const sample = el("pre", { id: "sample-out" });
  const note = el("span", { class: "muted", id: "model-note" });
  const top = el("button", { id: "predict", onclick: async () => {
    note.textContent = ""; top.disabled = true;
    try {
      const rows = await api(`api/predict?name=${encodeURIComponent(name)}&checkpoint=${which.value}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ prompt: prompt.value, top: 10 }) });
      out.replaceChildren(el("p", { class: "muted" }, "next token after the prompt:"), bars(rows.map(r => ({ label: showWhitespace(r.token), value: r.probability, text: `${(100 * r.probability).toFixed(2)}%` }))));
    } catch (e) { note.textContent = e.message; } finally { top.disabled = false; }
  } }, "Top 10 next tokens");
  const go = el("button", { id: "sample", class: "secondary", onclick: () => {
    note.textContent = ""; sample.textContent = prompt.value; go.disabled = true;
    const q = new URLSearchParams({ name, prompt: prompt.value, tokens: value("tokens"), temperature: value("temperature"), top_k: value("top-k"),
      top_p: value("top-p"), seed: value("seed"), checkpoint: which.value });
    const es = new EventSource(`api/sample?${q}`);
    const end = msg => { es.close(); go.disabled = false; if (msg) note.textContent = msg; };
    es.addEventListener("token", e => sample.textContent += JSON.parse(e.data));
    es.addEventListener("done", () => end(""));
    es.addEventListener("error", e => end(e.data ? JSON.parse(e.data) : "the sample stream ended (busy? another generation may be running)"));
    cleanup.push(() => es.close());
  } }, "Sample (stream)");
  const box = el("div", {}, prompt, controls, el("div", { class: "toolbar" }, top, go, note), el("div", { class: "two" }, out, sample));
  box.setCheckpoints = setCheckpoints;
  return box;
}

async function comparePage(names) {
  if (!names.length) { main.replaceChildren(el("p", {}, "pick runs on the runs page")); return; }
  const charts = el("div", { class: "charts", id: "charts" });
  const table = el("div", { id: "study" });
  const feeds = [];
  let chartsByKey = null, xKey = "step", logY = false;
  const draw = () => {
    if (!chartsByKey) return;
    const series = (kind, key) => feeds.map((f, i) => {
      const rs = f.records.filter(r => r.kind === kind && r[key] != null);
      return { label: names[i], xs: rs.map(r => r[xKey] ?? 0), ys: rs.map(r => r[key]), color: PALETTE[i % PALETTE.length] };
    });
    chartsByKey.val_nll.set(series("eval", "val_nll"));
    chartsByKey.val_loss.set(series("eval", "val_loss"));
    chartsByKey.loss.set(series("train", "loss"));
    chartsByKey.lr.set(series("train", "lr"));
    chartsByKey.tokens_per_s.set(series("train", "tokens_per_s"));
    table.replaceChildren(sortableTable([
      { key: "name", label: "run", render: r => runLink(r.name) },
      { key: "loss", label: "training loss" }, { key: "status", label: "status", render: r => status(r.status) },
      { key: "steps", label: "steps", num: true, render: r => int(r.steps) },
      { key: "train", label: "train loss (own, last eval)", num: true, render: r => num(r.train) },
      { key: "val_nll", label: "best val NLL", num: true, render: r => num(r.val_nll) },
      { key: "ppl", label: "val perplexity", num: true, render: r => num(r.ppl, 2) },
      { key: "tps", label: "tokens/s", num: true, render: r => int(r.tps) },
      { key: "wall", label: "wall", num: true, render: r => secs(r.wall) },
    ], feeds.map((f, i) => {
      const evals = f.records.filter(r => r.kind === "eval"), train = f.records.filter(r => r.kind === "train");
      const nll = Math.min(...evals.map(r => r.val_nll ?? r.val_loss).filter(v => v != null));
      return {
        name: names[i], loss: f.run.config.loss ?? "cross_entropy", status: f.state, steps: Math.max(0, ...f.records.map(r => r.step)),
        train: evals.at(-1)?.train_loss, val_nll: isFinite(nll) ? nll : null, ppl: isFinite(nll) ? Math.exp(nll) : null,
        tps: train.length ? train.reduce((s, r) => s + (r.tokens_per_s || 0), 0) / train.length : null, wall: Math.max(0, ...f.records.map(r => r.wall_s || 0)),
      };
    }), { initial: { key: "val_nll", dir: 1 } }));
  };
  for (const n of names) feeds.push(await runFeed(n, draw));
  // the config keys whose values differ between the runs (what W&B's run comparer shows first)
  const keys = [...new Set(feeds.flatMap(f => Object.keys(f.run.config)))].sort();
  const differ = keys.filter(k => new Set(feeds.map(f => JSON.stringify(f.run.config[k]))).size > 1);
  const diff = el("table", { class: "config", id: "config-diff" },
    el("thead", {}, el("tr", {}, el("th", {}, "key"), ...names.map((n, i) => el("th", { style: `color:${PALETTE[i % PALETTE.length]}` }, n)))),
    el("tbody", {}, differ.length ? differ.map(k => el("tr", {}, el("td", {}, k), ...feeds.map(f => el("td", {}, JSON.stringify(f.run.config[k]) ?? "–"))))
      : [el("tr", {}, el("td", { colspan: names.length + 1, class: "muted" }, "the runs share every config key"))]));
  const makeCharts = () => {
    charts.replaceChildren();
    const xLabel = { step: "step", tokens: "tokens", wall_s: "wall time (s)" }[xKey];
    chartsByKey = {
      val_nll: lineChart(charts, { title: "Validation NLL", xLabel, yLabel: "val NLL (nats/token)", logY }),
      val_loss: lineChart(charts, { title: "Validation loss (own loss)", xLabel, yLabel: "val loss", logY }),
      loss: lineChart(charts, { title: "Training loss", xLabel, yLabel: "loss", logY }),
      lr: lineChart(charts, { title: "Learning rate", xLabel, yLabel: "lr", logY }),
      tokens_per_s: lineChart(charts, { title: "Throughput", xLabel, yLabel: "tokens/s", logY }),
    };
    draw();
  };
  const xSelect = el("select", { id: "x-axis", onchange: e => { xKey = e.target.value; makeCharts(); } },
    el("option", { value: "step" }, "x: step"), el("option", { value: "tokens" }, "x: tokens"), el("option", { value: "wall_s" }, "x: wall time"));
  const logBox = el("label", {}, el("input", { type: "checkbox", id: "log-y", onchange: e => { logY = e.target.checked; makeCharts(); } }), " log scale");
  main.replaceChildren(el("h1", {}, `Compare ${names.length} run${names.length > 1 ? "s" : ""}`),
    el("p", { class: "muted" }, "Every run is scored by cross-entropy on validation (val NLL), whatever loss trained it."), table,
    el("h2", {}, "Config keys that differ"), diff,
    el("div", { class: "toolbar" }, xSelect, logBox), charts);
  makeCharts();
}

async function sweepPage(name) {
  let data = await api(`api/sweep?name=${encodeURIComponent(name)}`), colourBy = data.parameters[0], lastJson = "";
  const head = el("h1", {}, `Sweep ${name}`);
  const summary = el("p", { id: "sweep-summary" });
  const phases = el("div", { id: "phases" });
  const trials = el("div", { id: "trials" });
  const curvesHost = el("div", { id: "curves" });
  const key = el("div", { class: "key", id: "colour-key" });
  const scatters = el("div", { class: "scatter-grid", id: "scatters" });
  const parallel = el("div", { id: "parallel" });
  const importance = el("div", { id: "importance" });
  const select = el("select", { id: "colour-by", onchange: e => { colourBy = e.target.value; drawCurves(); } }, data.parameters.map(p => el("option", { value: p }, p)));
  let curves = null;
  const value = (t, p) => t.params[p];
  const valueText = v => v == null ? "–" : typeof v === "object" ? JSON.stringify(v) : String(v);
  function colourScale(p, ts) {
    const vals = ts.map(t => value(t, p));
    if (vals.every(v => typeof v === "number")) {
      const log = data.log_scale[p], f = v => log ? Math.log10(v) : v;
      const lo = Math.min(...vals.map(f)), hi = Math.max(...vals.map(f));
      return { colour: t => ramp(hi > lo ? (f(value(t, p)) - lo) / (hi - lo) : 0.5), min: Math.min(...vals), max: Math.max(...vals), numeric: true };
    }
    const cats = [...new Set(vals.map(valueText))].sort();
    return { colour: t => PALETTE[cats.indexOf(valueText(value(t, p))) % PALETTE.length], cats };
  }
  function configs() {
    const byConfig = new Map();
    for (const t of data.trials) { const c = byConfig.get(t.config_id); if (!c || t.phase > c.phase) byConfig.set(t.config_id, t); }
    return [...byConfig.values()];
  }
  function drawCurves() {
    const ts = configs().filter(t => data.evals.some(e => e.config_id === t.config_id));
    const scale = colourScale(colourBy, ts.length ? ts : data.trials);
    if (!curves) curves = lineChart(curvesHost, { title: "Intermediate values", xLabel: "step", yLabel: "val NLL (nats/token)", points: false });
    curves.set(ts.map(t => {
      const es = data.evals.filter(e => e.config_id === t.config_id);
      return { label: `#${t.config_id} ${colourBy}=${valueText(value(t, colourBy))}`, xs: es.map(e => e.step), ys: es.map(e => e.val_nll), color: scale.colour(t) };
    }));
    key.replaceChildren(`colour: ${colourBy}`, ...(scale.numeric
      ? [el("span", {}, valueText(scale.min)), el("span", { class: "gradient", style: `background:linear-gradient(90deg,${[0, .25, .5, .75, 1].map(ramp).join(",")})` }), el("span", {}, valueText(scale.max))]
      : scale.cats.map((c, i) => el("span", { style: `color:${PALETTE[i % PALETTE.length]}` }, `● ${c}`))));
  }
  function drawScatters(peers) {
    scatters.replaceChildren(...data.parameters.map(p => {
      const numeric = peers.every(t => typeof value(t, p) === "number");
      const cats = numeric ? null : [...new Set(peers.map(t => valueText(value(t, p))))].sort();
      return scatter({
        title: `${data.metric} vs ${p}`, xLabel: p, yLabel: data.metric, logX: numeric && data.log_scale[p], cats,
        xs: peers.map(t => numeric ? value(t, p) : cats.indexOf(valueText(value(t, p)))), ys: peers.map(t => t.metric),
        labels: peers.map(t => `config ${t.config_id}: ${p}=${valueText(value(t, p))}, ${data.metric} ${num(t.metric)}`),
      });
    }));
  }
  function drawParallel(peers) {
    const axes = [...data.parameters, data.metric];
    const W = Math.max(500, (parallel.clientWidth || 900) - 20), H = 260, pad = 40, step = (W - 2 * pad) / Math.max(1, axes.length - 1);
    const enc = axes.map((a, j) => {
      const vs = peers.map(t => j < data.parameters.length ? value(t, a) : t.metric);
      if (vs.every(v => typeof v === "number")) {
        const log = j < data.parameters.length && data.log_scale[a], f = v => log ? Math.log10(v) : v;
        const lo = Math.min(...vs.map(f)), hi = Math.max(...vs.map(f));
        return { y: v => hi > lo ? (f(v) - lo) / (hi - lo) : 0.5, lo: valueText(+Math.min(...vs).toPrecision(3)), hi: valueText(+Math.max(...vs).toPrecision(3)) + (log ? " (log)" : "") };
      }
      const cats = [...new Set(vs.map(valueText))].sort();
      return { y: v => cats.length > 1 ? cats.indexOf(valueText(v)) / (cats.length - 1) : 0.5, lo: cats[0], hi: cats.at(-1) };
    });
    const metrics = peers.map(t => t.metric), mlo = Math.min(...metrics), mhi = Math.max(...metrics);
    const ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "parallel"); svg.setAttribute("width", W); svg.setAttribute("height", H + 40);
    const add = (tag, attrs, text) => { const e = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); if (text != null) e.textContent = text; svg.append(e); return e; };
    peers.forEach(t => {
      const good = mhi > mlo ? (data.minimize ? (mhi - t.metric) : (t.metric - mlo)) / (mhi - mlo) : 0.5;
      const pts = axes.map((a, j) => `${pad + j * step},${20 + (1 - enc[j].y(j < data.parameters.length ? value(t, a) : t.metric)) * H}`).join(" ");
      add("polyline", { points: pts, fill: "none", stroke: ramp(good), "stroke-width": 1.5, opacity: 0.8, class: "trial-line" });
    });
    axes.forEach((a, j) => {
      const x = pad + j * step;
      add("line", { x1: x, x2: x, y1: 20, y2: 20 + H, class: "axis" });
      add("text", { x, y: 12, "text-anchor": "middle" }, a);
      add("text", { x: x + 3, y: 20 + H + 14 }, enc[j].lo); add("text", { x: x + 3, y: 30 }, enc[j].hi);
    });
    parallel.replaceChildren(el("p", { class: "muted" }, `${data.scope}; colour: better ${data.metric} is brighter`), svg);
  }
  function draw() {
    const s = data.status;
    summary.replaceChildren(`${data.method} over ${data.parameters.join(", ")} · metric ${data.metric} (${data.minimize ? "minimize" : "maximize"}) · `,
      `${s.done} done, ${s.running} running, ${s.queued} queued, ${s.failed} failed in phase ${s.phase} of ${s.phases}`,
      s.best != null ? ` · best ${num(s.best)} (config ${s.best_config})` : "", s.finished ? " · finished" : "");
    phases.replaceChildren(sortableTable([{ key: "phase", label: "phase" }, { key: "max_iters", label: "iterations", num: true, render: p => int(p.max_iters) },
      { key: "trials", label: "trials", num: true }, { key: "done", label: "done", num: true }, { key: "running", label: "running", num: true }, { key: "failed", label: "failed", num: true }], data.phases));
    trials.replaceChildren(sortableTable([
      // each trial is an ordinary run folder (trials/NNNN): its row opens its run page
      { key: "config_id", label: "config", num: true, render: t => el("a", { href: `#/run/${encodeURIComponent(`${name}/trials/${String(t.config_id).padStart(4, "0")}`)}`, class: "trial-link" }, String(t.config_id)) },
      { key: "phase", label: "phase", num: true }, { key: "iters", label: "iters", num: true },
      { key: "status", label: "status", render: t => status(t.status) },
      ...data.parameters.map(p => ({ key: `p_${p}`, label: p, render: t => valueText(value(t, p)) })),
      { key: "metric", label: data.metric, num: true, render: t => num(t.metric) },
      { key: "wall_s", label: "wall", num: true, render: t => secs(t.wall_s) },
      { key: "tokens_per_s", label: "tokens/s", num: true, render: t => int(t.tokens_per_s) },
    ], data.trials.map(t => ({ ...t, ...Object.fromEntries(data.parameters.map(p => [`p_${p}`, value(t, p)])) })),
    { initial: { key: "metric", dir: data.minimize ? 1 : -1 }, onRow: (tr, t) => tr.classList.add("trial") }));
    drawCurves();
    const peers = data.trials.filter(t => t.phase === 1 && t.status === "done" && t.metric != null);
    if (peers.length) { drawScatters(peers); drawParallel(peers); }
    importance.replaceChildren(...(data.importance ? [
      el("p", { class: "muted" }, `${data.scope}: how much worse a random forest predicts when one hyperparameter is shuffled`),
      el("div", { class: "two" },
        el("div", {}, el("h3", {}, `for ${data.metric}`), bars(data.importance.map(i => ({ label: i.name, value: i.metric || 0, text: `${(100 * (i.metric || 0)).toFixed(1)}%` })))),
        el("div", {}, el("h3", {}, "for training time"), bars(data.importance.map(i => ({ label: i.name, value: i.time || 0, text: `${(100 * (i.time || 0)).toFixed(1)}%` })), "time")))]
      : [el("p", { class: "muted" }, "importance needs at least 4 finished configurations in phase 1")]));
  }
  main.replaceChildren(head, summary, el("h2", {}, "Phases"), phases, el("h2", {}, "Trials ", el("a", { href: `api/sweep/trials.csv?name=${encodeURIComponent(name)}`, download: "", id: "trials-csv", class: "small" }, "download CSV")), trials,
    el("h2", {}, "Curves"), el("div", { class: "toolbar" }, el("label", {}, "colour by ", select), key), curvesHost,
    el("h2", {}, "Metric against each hyperparameter"), scatters, el("h2", {}, "Parallel coordinates"), parallel,
    el("h2", {}, "Hyperparameter importance"), importance);
  draw();
  lastJson = JSON.stringify(data);
  const timer = setInterval(async () => {
    try {
      const fresh = await api(`api/sweep?name=${encodeURIComponent(name)}`);
      setLive(true);
      const json = JSON.stringify(fresh);
      if (json !== lastJson) { data = fresh; lastJson = json; draw(); }
    } catch { setLive(false); }
  }, 3000);
  cleanup.push(() => clearInterval(timer));
}

// ---------- routing ----------
async function route() {
  cleanup.forEach(f => f());
  cleanup = [];
  const [page, arg] = location.hash.replace(/^#\/?/, "").split(/\/(.*)/s);
  main.replaceChildren(el("p", { class: "muted" }, "loading…"));
  try {
    if (page === "run") await runPage(decodeURIComponent(arg));
    else if (page === "compare") await comparePage((arg || "").split(",").filter(Boolean).map(decodeURIComponent));
    else if (page === "sweep") await sweepPage(decodeURIComponent(arg));
    else await runsPage();
  } catch (e) { showError(e); }
}
window.addEventListener("hashchange", route);
route();
