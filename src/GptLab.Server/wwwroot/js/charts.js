// Charts: uPlot line charts with readable ticks, smoothing, log axes fitted to the data; SVG scatter plots and bars;
// the colour ramp for a numeric hyperparameter.
import { el, onLeave, PALETTE, downloadText } from "./dom.js";

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
export function tickLabels(u, vals) {
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
export function ema(ys, weight) {
  let avg = 0, n = 0;
  return ys.map(y => {
    if (y == null || !isFinite(y)) return null;
    avg = weight * avg + (1 - weight) * y; n++;
    return avg / (1 - weight ** n);
  });
}
window.gptlabEma = ema;   // for the browser tests

// A noisy series drawn raw and faint behind its smoothed line (weight > 0), as W&B and TensorBoard draw them.
export function smoothed(series, weight, color) {
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
export function logTicks(min, max) {
  if (!(min > 0) || !(max > min)) return min > 0 ? [min] : [];
  const out = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++)
    for (const m of [1, 2, 5]) { const v = +(m * 10 ** e).toPrecision(12); if (v >= min && v <= max) out.push(v); }
  if (out.length >= 3) return out;
  return [0, 1, 2, 3].map(i => +(min * (max / min) ** (i / 3)).toPrecision(3));
}
const logSplits = (u, axisIdx, min, max) => logTicks(min, max);

// Ticks of a linear axis: 1-2-5 steps, about five of them.
export function linearTicks(min, max) {
  if (!(max > min)) return [min];
  const raw = (max - min) / 5, p = 10 ** Math.floor(Math.log10(raw)), step = [1, 2, 5, 10].map(m => m * p).find(s => s >= raw);
  const out = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

/**
 * Fewer points, the same picture: for each of `buckets` equal slices of x, every series' first, lowest, highest and
 * last point are kept (the envelope a chart of that width can show); other points are dropped. A run with 100,000
 * metric lines draws in a fraction of the time, spikes included.
 */
export function thin(data, buckets) {
  const xs = data[0], n = xs.length;
  if (n <= 4 * buckets) return data;
  const keep = new Uint8Array(n), x0 = xs[0], span = (xs[n - 1] - x0) || 1;
  let start = 0;
  while (start < n) {
    const b = Math.min(buckets - 1, Math.floor((xs[start] - x0) / span * buckets));
    let end = start;
    while (end < n && Math.min(buckets - 1, Math.floor((xs[end] - x0) / span * buckets)) === b) end++;
    for (let s = 1; s < data.length; s++) {
      const ys = data[s];
      let first = -1, last = -1, lo = -1, hi = -1;
      for (let i = start; i < end; i++) {
        const y = ys[i];
        if (y == null) continue;
        if (first < 0) first = i;
        last = i;
        if (lo < 0 || y < ys[lo]) lo = i;
        if (hi < 0 || y > ys[hi]) hi = i;
      }
      if (first >= 0) keep[first] = keep[last] = keep[lo] = keep[hi] = 1;
    }
    start = end;
  }
  const idx = [];
  for (let i = 0; i < n; i++) if (keep[i]) idx.push(i);
  return data.map(col => idx.map(i => col[i]));
}
window.gptlabThin = thin;   // for the browser tests

const MAX_LEGEND = 24;

/** A line chart over series that need not share x values: the union of x, gaps where a series has no point. */
export function lineChart(host, { title, xLabel, yLabel, logY, logX, points, colors }) {
  const plot = el("div");
  // the chart as a PNG file: the canvas uPlot draws, taken when the link is clicked
  const png = el("a", { class: "png", href: "#", title: "download this chart as PNG", onclick: e => {
    const canvas = plot.querySelector("canvas");
    if (!canvas) { e.preventDefault(); return; }
    e.currentTarget.href = canvas.toDataURL("image/png");
    e.currentTarget.download = `${title}.png`.replace(/[^\w.-]+/g, "_");
  } }, "PNG");
  const hover = el("span", { class: "hover" });
  const fig = el("figure", { class: "chart" }, el("figcaption", {}, title, " ", el("span", { class: "axes" }, `(${yLabel} vs ${xLabel})`), " ", png, " ", hover));
  fig.append(plot);
  host.append(fig);
  let u = null, lastSeries = [];
  function build(series) {
    // one series (or several sharing their x values, as a run's charts do): no union, no copying
    if (series.length && series.every(s => s.xs === series[0].xs) && !logY) return [series[0].xs, ...series.map(s => s.ys)];
    // the union of x (a numeric sort of a typed array, then duplicates dropped: fast for 100,000 points)
    const all = new Float64Array(series.reduce((n, s) => n + s.xs.length, 0));
    let k = 0;
    for (const s of series) for (const x of s.xs) all[k++] = x;
    all.sort();
    const xs = [];
    for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) xs.push(all[i]);
    const clean = y => (y == null || !isFinite(y) || (logY && y <= 0)) ? null : y;
    let index = null;
    return [xs, ...series.map(s => {
      const ys = new Array(xs.length).fill(null);
      let j = 0, sorted = true;
      for (let i = 0; i < s.xs.length && sorted; i++) {
        while (j < xs.length && xs[j] < s.xs[i]) j++;
        if (xs[j] === s.xs[i]) ys[j] = clean(s.ys[i]); else sorted = false;
      }
      if (!sorted) {   // a series whose x goes back (rare): look each one up
        index ??= new Map(xs.map((x, i) => [x, i]));
        s.xs.forEach((x, i) => { ys[index.get(x)] = clean(s.ys[i]); });
      }
      return ys;
    })];
  }
  function opts(series) {
    return {
      width: Math.max(300, plot.clientWidth || 440), height: 240,
      // a log axis fits the data (uPlot's default snaps it out to whole decades: 10 for a loss, 100,000 for tokens/s)
      scales: { x: { time: false, distr: logX ? 3 : 1, ...(logX ? { range: fitLog } : {}) }, y: { distr: logY ? 3 : 1, ...(logY ? { range: fitLog } : {}) } },
      hooks: {
        setScale: [(u, key) => { if (key === "y") fig.dataset.yRange = `${u.scales.y.min},${u.scales.y.max}`; }],
        setSeries: [(u, i) => { hover.textContent = i == null || series.length <= MAX_LEGEND ? "" : `· ${series[i - 1]?.label ?? ""}`; }],
      },
      axes: [{ label: xLabel, size: 40, values: tickLabels, ...(logX ? { splits: logSplits } : {}) },
        { label: yLabel, size: 60, values: tickLabels, ...(logY ? { splits: logSplits } : {}) }],
      // many lines (a sweep's trials): no legend of hundreds of entries — the line nearest the cursor is brought
      // forward and named above the chart
      legend: { show: series.length <= MAX_LEGEND },
      ...(series.length > MAX_LEGEND ? { cursor: { focus: { prox: 24 } }, focus: { alpha: 0.25 } } : {}),
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
      // a line needs no more points than its width can show (dots are all drawn)
      const data = points ? build(series) : thin(build(series), Math.max(300, plot.clientWidth || 440));
      if (sameShape) u.setData(data);
      else { u?.destroy(); u = new uPlot(opts(series), data, plot); }
      fig.dataset.drawn = String(data[0].length);
      lastSeries = series;
      fig.dataset.points = String(series.filter(s => !s.dash).reduce((n, s) => n + s.xs.length, 0));   // data, not reference lines
    },
    destroy() { u?.destroy(); u = null; },
  };
  onLeave(() => chart.destroy());
  return chart;
}

/** Horizontal bars with their values printed. rows: [{label, value, text}], value in 0..1 of the widest bar. */
export function bars(rows, cls) {
  const max = Math.max(1e-12, ...rows.map(r => r.value));
  return el("div", { class: `bars ${cls || ""}` }, rows.flatMap(r => [
    el("span", { class: "label" }, r.label),
    el("div", {}, el("div", { class: "bar", style: `width:${(100 * r.value / max).toFixed(1)}%` })),
    el("span", { class: "value" }, r.text),
  ]));
}

const SVG = "http://www.w3.org/2000/svg";
/** An SVG element builder. */
export function svgOf(attrs) {
  const svg = document.createElementNS(SVG, "svg");
  for (const [k, v] of Object.entries(attrs)) svg.setAttribute(k, v);
  const add = (tag, a, text, parent = svg) => { const e = document.createElementNS(SVG, tag); for (const [k, v] of Object.entries(a)) e.setAttribute(k, v); if (text != null) e.textContent = text; parent.append(e); return e; };
  return { svg, add };
}
/** A link that downloads an SVG chart as a file. */
export function svgLink(svg, title) {
  return el("a", { class: "png", href: "#", title: "download this chart as SVG", onclick: e => {
    e.preventDefault();
    const copy = svg.cloneNode(true);
    copy.setAttribute("xmlns", SVG);
    downloadText(`${title}.svg`.replace(/[^\w.-]+/g, "_"), "image/svg+xml", new XMLSerializer().serializeToString(copy));
  } }, "SVG");
}

/** One tooltip for a chart of many marks: the mark under the pointer (data-i) names itself. A title per mark made
 * thousands of extra elements on a 1,000-trial sweep page. */
export function hoverTitles(svg, add, labelOf) {
  const tip = add("title", {}, "");
  svg.addEventListener("pointerover", e => { const i = e.target.dataset?.i; tip.textContent = i == null ? "" : labelOf(+i) ?? ""; });
}

// a small deterministic jitter in [-1, 1] per point, so points that share a value (a grid's repeated settings) spread
const jitter = i => (((i * 2654435761) >>> 0) % 1000) / 500 - 1;

/**
 * A scatter plot in SVG: every point drawn, translucent and jittered sideways where several share an x (a grid's
 * repeated values); categories on x, or a numeric axis with 1-2-5 ticks (log for a log-uniform parameter).
 * hollow[i]: a running trial's latest value.
 */
export function scatter({ title, xLabel, yLabel, xs, ys, logX, cats, labels, hollow, front }) {
  const W = 380, H = 220, L = 58, R = 14, T = 10, B = 42;
  const fx = v => logX ? Math.log10(v) : v;
  const ok = xs.map((x, i) => isFinite(fx(x)) && ys[i] != null && isFinite(ys[i]));
  const X = xs.filter((_, i) => ok[i]).map(fx), Y = ys.filter((_, i) => ok[i]);
  const span = (lo, hi) => hi > lo ? [lo - (hi - lo) * 0.06, hi + (hi - lo) * 0.06] : [lo - 0.5, hi + 0.5];
  const [x0, x1] = span(Math.min(...X), Math.max(...X)), [y0, y1] = span(Math.min(...Y), Math.max(...Y));
  const pxRaw = v => L + (v - x0) / (x1 - x0) * (W - L - R), py = v => T + (1 - (v - y0) / (y1 - y0)) * (H - T - B);
  const { svg, add } = svgOf({ width: W, height: H, class: "scatter", "data-title": title });
  add("rect", { x: L, y: T, width: W - L - R, height: H - T - B, fill: "none", stroke: "#cbd5e1" });
  const fmt = v => tickLabels(null, [v])[0];
  let xTicks;
  if (cats) xTicks = cats.map((c, i) => [pxRaw(i), c]);
  else {
    const [lo, hi] = logX ? [10 ** x0, 10 ** x1] : [x0, x1];
    let vals = logX ? logTicks(lo, hi) : linearTicks(lo, hi);
    // a whole-number parameter (layers, heads) gets whole-number ticks only
    if (!logX && xs.every(x => Number.isInteger(x))) vals = vals.filter(v => Number.isInteger(v));
    const labels = tickLabels(null, vals);
    xTicks = vals.map((v, i) => [pxRaw(fx(v)), labels[i]]);
  }
  xTicks.forEach(([x, t]) => { add("line", { x1: x, x2: x, y1: H - B, y2: H - B + 4, stroke: "#94a3b8" }); add("text", { x, y: H - B + 15, "text-anchor": "middle", "font-size": 11, class: "x-tick" }, t); });
  const yVals = linearTicks(y0, y1), yLabels = tickLabels(null, yVals);
  yVals.forEach((v, i) => add("text", { x: L - 4, y: py(v) + 4, "text-anchor": "end", "font-size": 11 }, yLabels[i]));
  add("text", { x: (L + W - R) / 2, y: H - 6, "text-anchor": "middle", "font-size": 12, class: "axis-label" }, xLabel + (logX ? " (log)" : ""));
  add("text", { x: 12, y: (T + H - B) / 2, transform: `rotate(-90 12 ${(T + H - B) / 2})`, "text-anchor": "middle", "font-size": 12, class: "axis-label" }, yLabel);
  const counts = new Map();
  xs.forEach((x, i) => { if (ok[i]) counts.set(x, (counts.get(x) || 0) + 1); });
  // the marks as one piece of markup (thousands of createElementNS calls were most of a 1,000-trial page's drawing)
  let marks = "";
  xs.forEach((x, i) => {
    if (!ok[i]) return;
    const spread = counts.get(x) > 1 ? (cats ? 0.25 * (W - L - R) / Math.max(1, x1 - x0) : 6) : 0;
    const h = hollow?.[i];
    marks += `<circle cx="${(pxRaw(fx(x)) + jitter(i) * spread).toFixed(1)}" cy="${py(ys[i]).toFixed(1)}" r="4.5" fill="${h ? "white" : PALETTE[0]}" stroke="${h ? PALETTE[1] : PALETTE[0]}" stroke-width="${h ? 2 : 1}" fill-opacity="${h ? 1 : 0.55}" class="${h ? "point running" : "point"}" data-i="${i}"/>`;
  });
  // a Pareto front (indices, fastest first): joined by a step line, its points marked
  if (front?.length) {
    const pts = front.map(i => [pxRaw(fx(xs[i])), py(ys[i])]);
    const path = pts.map(([x, y], k) => k === 0 ? `M${x.toFixed(1)},${y.toFixed(1)}` : `H${x.toFixed(1)}V${y.toFixed(1)}`).join("");
    marks += `<path d="${path}" fill="none" stroke="${PALETTE[3]}" stroke-width="1.5" class="front-line"/>`;
    marks += front.map(i => `<circle cx="${pxRaw(fx(xs[i])).toFixed(1)}" cy="${py(ys[i]).toFixed(1)}" r="5.5" fill="${PALETTE[3]}" class="point front" data-i="${i}"/>`).join("");
  }
  svg.insertAdjacentHTML("beforeend", marks);
  hoverTitles(svg, add, i => labels?.[i]);
  return el("figure", { class: "chart" }, el("figcaption", {}, title, " ", svgLink(svg, title)), svg);
}

// colouring by a numeric value in 0..1: plasma from dark blue to orange, stopped before its pale yellow end so the
// best trials stay readable on white (viridis ended in pale yellow)
const RAMP = [[13, 8, 135], [84, 2, 163], [139, 10, 165], [185, 50, 137], [219, 92, 104], [236, 120, 60], [230, 120, 20]];
export function ramp(t) {
  t = Math.min(1, Math.max(0, isFinite(t) ? t : 0)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(t)), f = t - i;
  const c = RAMP[i].map((a, k) => Math.round(a + (RAMP[i + 1][k] - a) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}
window.gptlabRamp = ramp;   // for the browser tests
