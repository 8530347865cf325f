// A sweep's page: phases, trials (each linking to its run), intermediate values coloured by a hyperparameter, the
// metric against each hyperparameter, parallel coordinates you can brush, importance, and the best configuration.
import { el, api, main, onLeave, PALETTE, num, int, secs, status, setLive, sortableTable, valueText } from "./dom.js";
import { lineChart, scatter, bars, ramp, svgOf, svgLink, hoverTitles } from "./charts.js";

export async function sweepPage(name) {
  const q = `name=${encodeURIComponent(name)}`;
  let data = await api(`api/sweep?${q}`), colourBy = data.parameters[0], lastJson = "", bestShown = null;
  const brushes = new Map();   // parallel-coordinates axis name → [lo, hi] in 0..1 of the axis (bottom to top)
  const head = el("h1", {}, `Sweep ${name}`);
  const summary = el("p", { id: "sweep-summary" });
  const best = el("details", { id: "best-config" });
  const phases = el("div", { id: "phases" });
  const brushNote = el("p", { class: "muted", id: "brush-note" });
  const trials = el("div", { id: "trials" });
  const curvesHost = el("div", { id: "curves" });
  const key = el("div", { class: "key", id: "colour-key" });
  const scatters = el("div", { class: "scatter-grid", id: "scatters" });
  const scatterNote = el("p", { class: "muted", id: "scatter-note" });
  const parallel = el("div", { id: "parallel" });
  const importance = el("div", { id: "importance" });
  const select = el("select", { id: "colour-by", onchange: e => { colourBy = e.target.value; drawCurves(); } }, data.parameters.map(p => el("option", { value: p }, p)));
  let curves = null, evalsByConfig = new Map();
  const value = (t, p) => t.params[p];
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
  // one row per configuration: its furthest phase
  function configs() {
    const byConfig = new Map();
    for (const t of data.trials) { const c = byConfig.get(t.config_id); if (!c || t.phase > c.phase) byConfig.set(t.config_id, t); }
    return [...byConfig.values()];
  }
  // Like with like: phase-1 configurations, finished ones at their metric and running ones at their latest
  // intermediate value (drawn hollow / dashed), so the plots fill in while the first trials train.
  function peers() {
    const out = [];
    for (const t of data.trials) {
      if (t.phase !== 1) continue;
      if (t.status === "done" && t.metric != null) out.push({ ...t, running: false });
      else if (t.status === "running") {
        const last = (evalsByConfig.get(t.config_id) || []).filter(e => e.phase === 1 && e.val_nll != null).at(-1);
        if (last && last.step > 0) out.push({ ...t, metric: last.val_nll, running: true, at: last.step });
      }
    }
    return out;
  }
  function drawCurves() {
    const ts = configs().filter(t => evalsByConfig.has(t.config_id));
    const scale = colourScale(colourBy, ts.length ? ts : data.trials);
    if (!curves) curves = lineChart(curvesHost, { title: "Intermediate values", xLabel: "step", yLabel: "val NLL (nats/token)", points: false });
    curves.set(ts.map(t => {
      const es = evalsByConfig.get(t.config_id);
      return { label: `#${t.config_id} ${colourBy}=${valueText(value(t, colourBy))}${t.status === "running" ? " (running)" : ""}`, xs: es.map(e => e.step), ys: es.map(e => e.val_nll), color: scale.colour(t) };
    }));
    key.replaceChildren(`colour: ${colourBy}`, ...(scale.numeric
      ? [el("span", {}, valueText(scale.min)), el("span", { class: "gradient", style: `background:linear-gradient(90deg,${[0, .25, .5, .75, 1].map(ramp).join(",")})` }), el("span", {}, valueText(scale.max))]
      : scale.cats.map((c, i) => el("span", { style: `color:${PALETTE[i % PALETTE.length]}` }, `● ${c}`))), el("span", { class: "muted small" }, " · hover a line for its trial"));
  }
  // the metric against training time, its Pareto front (no trial both faster and better) joined in red — the trials and
  // the front as the report weighs them (the server's ParetoFront)
  function paretoChart() {
    const ids = new Set(data.pareto.trials), done = data.trials.filter(t => ids.has(t.id));
    if (done.length < 2) return [];
    const onFront = new Set(data.pareto.front);
    const front = done.map((t, i) => i).filter(i => onFront.has(done[i].id)).sort((a, b) => done[a].wall_s - done[b].wall_s);
    return [scatter({ title: `${data.metric} vs training time (Pareto front in red; ${data.pareto.scope})`, xLabel: "training time (s)", yLabel: data.metric,
      xs: done.map(t => t.wall_s), ys: done.map(t => t.metric), front,
      labels: done.map(t => `config ${t.config_id}: ${data.metric} ${num(t.metric)} in ${secs(t.wall_s)}${onFront.has(t.id) ? " (Pareto front)" : ""}`) })];
  }
  function drawScatters(ps) {
    scatters.replaceChildren(...paretoChart(), ...data.parameters.map(p => {
      const numeric = ps.every(t => typeof value(t, p) === "number");
      const cats = numeric ? null : [...new Set(ps.map(t => valueText(value(t, p))))].sort();
      return scatter({
        title: `${data.metric} vs ${p}`, xLabel: p, yLabel: data.metric, logX: numeric && data.log_scale[p], cats,
        xs: ps.map(t => numeric ? value(t, p) : cats.indexOf(valueText(value(t, p)))), ys: ps.map(t => t.metric), hollow: ps.map(t => t.running),
        labels: ps.map(t => `config ${t.config_id}: ${p}=${valueText(value(t, p))}, ${data.metric} ${num(t.metric)}${t.running ? ` (running, step ${int(t.at)})` : ""}`),
      });
    }));
  }
  // each axis maps a trial to 0..1 (bottom to top); numbers linearly (log for log-uniform parameters), others as categories
  function axesOf(ps) {
    return [...data.parameters, data.metric].map((a, j) => {
      const isParam = j < data.parameters.length, get = t => isParam ? value(t, a) : t.metric, vs = ps.map(get);
      if (vs.every(v => typeof v === "number")) {
        const log = isParam && data.log_scale[a], f = v => log ? Math.log10(v) : v;
        const lo = Math.min(...vs.map(f)), hi = Math.max(...vs.map(f));
        return { name: a, at: t => hi > lo ? (f(get(t)) - lo) / (hi - lo) : 0.5, lo: valueText(+Math.min(...vs).toPrecision(3)), hi: valueText(+Math.max(...vs).toPrecision(3)) + (log ? " (log)" : "") };
      }
      const cats = [...new Set(vs.map(valueText))].sort();
      return { name: a, at: t => cats.length > 1 ? cats.indexOf(valueText(get(t))) / (cats.length - 1) : 0.5, lo: cats[0], hi: cats.at(-1) };
    });
  }
  const passes = (axes, t) => axes.every(a => { const b = brushes.get(a.name); if (!b) return true; const y = a.at(t); return y >= b[0] - 1e-9 && y <= b[1] + 1e-9; });
  function drawParallel(ps) {
    const axes = axesOf(ps);
    const W = Math.max(500, (parallel.clientWidth || 900) - 20), H = 260, top = 20, pad = 40, step = (W - 2 * pad) / Math.max(1, axes.length - 1);
    const metrics = ps.map(t => t.metric), mlo = Math.min(...metrics), mhi = Math.max(...metrics);
    const { svg, add } = svgOf({ class: "parallel", width: W, height: H + 40 });
    const lines = add("g", {});
    // one piece of markup for all the lines (an element built per line was a third of a 1,000-trial page's drawing)
    lines.insertAdjacentHTML("beforeend", ps.map((t, i) => {
      const good = mhi > mlo ? (data.minimize ? (mhi - t.metric) : (t.metric - mlo)) / (mhi - mlo) : 0.5;
      const pts = axes.map((a, j) => `${(pad + j * step).toFixed(1)},${(top + (1 - a.at(t)) * H).toFixed(1)}`).join(" ");
      return `<polyline points="${pts}" fill="none" stroke="${ramp(good)}" stroke-width="1.5" opacity="0.8" class="trial-line" data-config="${t.config_id}" data-i="${i}"${t.running ? ' stroke-dasharray="4 3"' : ""}/>`;
    }).join(""));
    hoverTitles(svg, add, i => { const t = ps[i]; return `config ${t.config_id}: ${data.parameters.map(p => `${p}=${valueText(value(t, p))}`).join(", ")}, ${data.metric} ${num(t.metric)}${t.running ? " (running)" : ""}`; });
    axes.forEach((a, j) => {
      const x = pad + j * step;
      add("line", { x1: x, x2: x, y1: top, y2: top + H, class: "axis" });
      add("text", { x, y: 12, "text-anchor": "middle" }, a.name);
      add("text", { x: x + 3, y: top + H + 14 }, a.lo); add("text", { x: x + 3, y: top + 10 }, a.hi);
      const b = brushes.get(a.name);
      const shade = add("rect", { x: x - 7, width: 14, y: b ? top + (1 - b[1]) * H : 0, height: b ? (b[1] - b[0]) * H : 0, class: "brush", "data-axis": a.name });
      // drag along an axis to keep the trials inside a range (as optuna-dashboard); a click clears that axis
      const area = add("rect", { x: x - 10, y: top, width: 20, height: H, class: "brush-area", "data-axis": a.name });
      area.addEventListener("pointerdown", e => {
        const y0 = e.clientY, rect = svg.getBoundingClientRect();
        area.setPointerCapture(e.pointerId);
        // within 4% of an end counts as the end: a drag started at the top keeps the top value
        const toV = cy => { const v = 1 - (cy - rect.top - top) / H; return v > 0.96 ? 1 : v < 0.04 ? 0 : v; };
        const move = ev => { const [lo, hi] = [toV(Math.max(y0, ev.clientY)), toV(Math.min(y0, ev.clientY))]; shade.setAttribute("y", top + (1 - hi) * H); shade.setAttribute("height", (hi - lo) * H); };
        const up = ev => {
          area.removeEventListener("pointermove", move); area.removeEventListener("pointerup", up);
          if (Math.abs(ev.clientY - y0) < 3) brushes.delete(a.name);
          else brushes.set(a.name, [toV(Math.max(y0, ev.clientY)), toV(Math.min(y0, ev.clientY))]);
          applyBrushes();
        };
        area.addEventListener("pointermove", move); area.addEventListener("pointerup", up);
      });
    });
    const running = ps.filter(t => t.running).length;
    parallel.replaceChildren(el("p", { class: "muted" }, `phase 1: ${ps.length} configurations${running ? ` (${running} running, dashed, at their latest value)` : ""}; colour: better ${data.metric} is brighter; drag along an axis to filter, click it to clear `, svgLink(svg, "parallel coordinates")), svg);
    parallel.applyLines = () => lines.querySelectorAll("polyline").forEach((l, i) => {
      const ok = passes(axes, ps[i]);
      l.setAttribute("stroke", ok ? ramp(mhi > mlo ? (data.minimize ? (mhi - ps[i].metric) : (ps[i].metric - mlo)) / (mhi - mlo) : 0.5) : "#d1d5db");
      l.setAttribute("opacity", ok ? 0.8 : 0.35);
      l.classList.toggle("filtered-out", !ok);
    });
    parallel.axes = axes;
  }
  let trialsTable = null;
  function trialRows() {
    const rows = data.trials.map(t => ({ ...t, ...Object.fromEntries(data.parameters.map(p => [`p_${p}`, value(t, p)])) }));
    if (!brushes.size || !parallel.axes) return rows;
    const keep = new Set(peers().filter(t => passes(parallel.axes, t)).map(t => t.config_id));
    return rows.filter(t => keep.has(t.config_id));
  }
  function applyBrushes() {
    parallel.applyLines?.();
    const rows = trialRows();
    trialsTable?.update(rows);
    const shown = new Set(rows.map(t => t.config_id)).size;
    brushNote.replaceChildren(...(brushes.size ? [`brushed: ${shown} of ${configs().length} configurations match ${[...brushes.keys()].join(", ")} · `,
      el("button", { class: "link", id: "clear-brushes", onclick: () => { brushes.clear(); drawParallel(peers()); applyBrushes(); } }, "clear")] : []));
  }
  async function drawBest() {
    const id = data.status.best_config;
    if (id == null || id === bestShown) return;
    bestShown = id;
    const config = await api(`api/sweep/best.json?${q}`).catch(() => null);
    if (!config) return;
    const t = data.trials.find(t => t.config_id === id);
    best.replaceChildren(el("summary", {}, `best configuration: config ${id} · ${data.metric} ${num(data.status.best)}`),
      el("p", {}, el("a", { href: `api/sweep/best.json?${q}`, download: "", id: "best-json" }, "download best.json"),
        " — a ready preset: ", el("code", {}, "gptlab train --config best.json"),
        ...(t?.run ? [" · ", el("a", { href: `#/run/${encodeURIComponent(t.run)}` }, "its run")] : [])),
      el("table", { class: "config" }, el("tbody", {}, Object.entries(config).filter(([k]) => k !== "_comment").map(([k, v]) =>
        el("tr", { class: k in (t?.params || {}) ? "swept" : "" }, el("td", { class: k in (t?.params || {}) ? "changed" : "" }, k), el("td", {}, JSON.stringify(v)))))));
  }
  function draw() {
    evalsByConfig = new Map();
    for (const e of data.evals) { let l = evalsByConfig.get(e.config_id); if (!l) evalsByConfig.set(e.config_id, l = []); l.push(e); }
    const s = data.status;
    summary.replaceChildren(`${data.method} over ${data.parameters.join(", ")} · metric ${data.metric} (${data.minimize ? "minimize" : "maximize"}) · `,
      `${s.done} done, ${s.pruned ? `${s.pruned} pruned, ` : ""}${s.running} running, ${s.queued} queued, ${s.to_sample ? `${s.to_sample} to sample, ` : ""}${s.failed} failed in phase ${s.phase} of ${s.phases}`,
      s.best != null ? ` · best ${num(s.best)} (config ${s.best_config})` : "", s.finished ? " · finished" : "");
    phases.replaceChildren(sortableTable([{ key: "phase", label: "phase" }, { key: "max_iters", label: "iterations", num: true, render: p => int(p.max_iters) },
      { key: "trials", label: "trials", num: true }, { key: "done", label: "done", num: true }, { key: "pruned", label: "pruned", num: true }, { key: "running", label: "running", num: true }, { key: "failed", label: "failed", num: true }], data.phases));
    const ps = peers();
    const running = ps.filter(t => t.running).length;
    scatterNote.textContent = running ? `${ps.length} phase-1 configurations; hollow orange: ${running} still running, at their latest evaluation` : `${ps.length} phase-1 configurations`;
    if (ps.length) { drawScatters(ps); drawParallel(ps); }
    else {
      scatters.replaceChildren(el("p", { class: "muted" }, "filled in from the first evaluation after step 0 of each phase-1 trial"));
      parallel.replaceChildren(); parallel.axes = null;
    }
    trialsTable = sortableTable([
      // each trial is an ordinary run folder (trials/NNNN): its row opens its run page
      { key: "config_id", label: "config", num: true, render: t => t.run ? el("a", { href: `#/run/${encodeURIComponent(t.run)}`, class: "trial-link" }, String(t.config_id)) : String(t.config_id) },
      { key: "phase", label: "phase", num: true }, { key: "iters", label: "iters", num: true },
      { key: "status", label: "status", render: t => status(t.status) },
      ...data.parameters.map(p => ({ key: `p_${p}`, label: p, render: t => valueText(value(t, p)) })),
      { key: "metric", label: data.metric, num: true, render: t => num(t.metric) },
      { key: "wall_s", label: "wall", num: true, render: t => secs(t.wall_s) },
      { key: "tokens_per_s", label: "tokens/s", num: true, render: t => int(t.tokens_per_s) },
    ], [], { initial: { key: "metric", dir: data.minimize ? 1 : -1 }, limit: 100, onRow: (tr, t) => { tr.classList.add("trial"); tr.dataset.config = t.config_id; } });
    trials.replaceChildren(trialsTable);
    applyBrushes();   // fills the table: every trial, or those inside the brushed ranges
    drawCurves();
    drawBest();
    importance.replaceChildren(...(data.importance ? [
      el("p", { class: "muted" }, `${data.scope}: how much worse a random forest predicts when one hyperparameter is shuffled`),
      el("div", { class: "two" },
        el("div", {}, el("h3", {}, `for ${data.metric}`), bars(data.importance.map(i => ({ label: i.name, value: i.metric || 0, text: `${(100 * (i.metric || 0)).toFixed(1)}%` })))),
        el("div", {}, el("h3", {}, "for training time"), bars(data.importance.map(i => ({ label: i.name, value: i.time || 0, text: `${(100 * (i.time || 0)).toFixed(1)}%` })), "time")))]
      : [el("p", { class: "muted" }, "importance needs at least 4 finished configurations in phase 1")]));
  }
  best.append(el("summary", {}, "best configuration: none yet"));
  main.replaceChildren(head, summary, best, el("h2", {}, "Phases"), phases,
    el("h2", {}, "Trials ", el("a", { href: `api/sweep/trials.csv?${q}`, download: "", id: "trials-csv", class: "small" }, "download CSV")), brushNote, trials,
    el("h2", {}, "Curves"), el("div", { class: "toolbar" }, el("label", {}, "colour by ", select), key), curvesHost,
    el("h2", {}, "Metric against each hyperparameter"), scatterNote, scatters, el("h2", {}, "Parallel coordinates"), parallel,
    el("h2", {}, "Hyperparameter importance"), importance);
  draw();
  lastJson = JSON.stringify(data);
  const timer = setInterval(async () => {
    try {
      const fresh = await api(`api/sweep?${q}`);
      setLive(true);
      const json = JSON.stringify(fresh);
      if (json !== lastJson) { data = fresh; lastJson = json; draw(); }
    } catch { setLive(false); }
  }, 3000);
  onLeave(() => clearInterval(timer));
}
