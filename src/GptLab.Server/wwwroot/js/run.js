// A run's page: live loss and training charts, samples at each evaluation, the config, checkpoints, and the model
// to try.
import { el, api, main, onLeave, PALETTE, num, int, secs, status, throttled } from "./dom.js";
import { lineChart, smoothed } from "./charts.js";
import { runFeed } from "./feed.js";
import { tryModel } from "./try-model.js";

const METRICS = [
  { key: "lr", title: "Learning rate", y: "lr" },
  { key: "grad_norm", title: "Gradient norm", y: "‖g‖" },
  { key: "tokens_per_s", title: "Throughput", y: "tokens/s" },
  { key: "ms_per_step", title: "Step time", y: "ms/step" },
  { key: "mfu", title: "MFU", y: "% of peak", scale: 100 },
];
const col = (rs, key, scale = 1) => rs.map(r => { const v = r[key]; return v == null || !isFinite(v) ? null : v * scale; });

export async function runPage(name) {
  let xKey = "step", logY = false, smooth = 0;
  const charts = el("div", { class: "charts", id: "charts" });
  const head = el("h1", {}, name, " ");
  const samplesBox = el("div", { class: "samples", id: "samples" });
  let feed, lossChart, metricCharts = [], baselines = [];
  const draw = () => {
    const train = [], evals = [];
    for (const r of feed.records) (r.kind === "train" ? train : r.kind === "eval" ? evals : []).push(r);
    const tx = train.map(r => r[xKey]), ex = evals.map(r => r[xKey]);
    const loss = [...smoothed({ label: "train loss (step)", xs: tx, ys: col(train, "loss") }, smooth, PALETTE[0]),
      { label: "train loss (eval)", xs: ex, ys: col(evals, "train_loss"), color: PALETTE[1] },
      { label: "val loss", xs: ex, ys: col(evals, "val_loss"), color: PALETTE[2] }];
    if (evals.some(r => r.val_nll != null && r.val_nll !== r.val_loss)) loss.push({ label: "val NLL", xs: ex, ys: col(evals, "val_nll"), color: PALETTE[3] });
    // the dataset's Kneser–Ney n-gram NLLs, dashed across the data's x range: the strongest always, others in range
    const ys = loss.flatMap(l => l.ys).filter(v => v != null);
    if ((tx.length || ex.length) && ys.length && baselines.length) {
      let lo = Infinity, hi = -Infinity;
      for (const v of ys) { if (v < lo) lo = v; if (v > hi) hi = v; }
      const top = Math.max(...baselines.map(b => b.order));
      const x0 = Math.min(tx[0] ?? Infinity, ex[0] ?? Infinity), x1 = Math.max(tx.at(-1) ?? -Infinity, ex.at(-1) ?? -Infinity);
      baselines.filter(b => b.order === top || (b.nll >= lo && b.nll <= hi)).forEach(b =>
        loss.push({ label: `${b.order}-gram (Kneser–Ney) ${num(b.nll, 3)}`, xs: [x0, x1], ys: [b.nll, b.nll], color: "#6b7280", dash: [6, 4] }));
    }
    lossChart.set(loss);
    METRICS.forEach((m, i) => metricCharts[i].set(smoothed({ label: m.title, xs: tx, ys: col(train, m.key, m.scale || 1) },
      m.key === "lr" ? 0 : smooth, PALETTE[0])));
  };
  const redraw = throttled(() => draw());
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
  onLeave(() => clearTimeout(refreshing));
  const refresh = () => {
    if (refreshing) return;
    const wait = Math.max(0, 2000 - (Date.now() - lastRefresh));
    refreshing = setTimeout(async () => {
      try { const r = await api(`api/run?name=${encodeURIComponent(name)}`); renderLive(r); } catch { /* the next event retries */ }
      lastRefresh = Date.now(); refreshing = null;
    }, wait);
  };
  feed = await runFeed(name, (f, what, records) => {
    if (what === "metrics") { redraw(); if ((records || []).some(r => r.kind === "eval")) refresh(); }
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
    el("input", { type: "range", id: "smooth", min: 0, max: 0.99, step: 0.01, value: 0, oninput: e => { smooth = +e.target.value; smoothShown.textContent = String(smooth); redraw(); } }), " ", smoothShown);
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
    feed.kept < feed.lines ? el("p", { class: "muted small", id: "envelope-note" }, `${int(feed.lines)} metric lines: the charts draw ${int(feed.kept)} of them — in each thousandth of the steps the first, last, lowest and highest value of every metric, so every spike shows; the CSV has them all`) : "",
    charts,
    el("h2", {}, "Try the model"), modelBox,
    el("div", { class: "two" },
      el("div", {}, el("h2", {}, "Samples at each evaluation"), samplesBox),
      el("div", {}, el("h2", {}, "Config ", el("span", { class: "muted" }, "(highlighted: changed from the preset)")), config, el("h2", {}, "Checkpoints"), checkpoints)));
  makeCharts();
  drawSamples();
}
