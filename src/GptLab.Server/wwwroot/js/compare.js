// Runs side by side: their numbers, the config keys in which they differ, and their curves on one x axis.
import { el, main, PALETTE, num, int, secs, status, runLink, sortableTable, throttled } from "./dom.js";
import { lineChart } from "./charts.js";
import { runFeed } from "./feed.js";

export async function comparePage(names) {
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
      { key: "val_nll", label: "best val NLL (estimate)", num: true, render: r => num(r.val_nll) },
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
  const redraw = throttled(draw);
  for (const n of names) feeds.push(await runFeed(n, redraw));
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
      val_nll: lineChart(charts, { title: "Validation NLL (estimates at each evaluation)", xLabel, yLabel: "val NLL (nats/token)", logY }),
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
    el("p", { class: "muted" }, "Every run is scored by cross-entropy on validation (val NLL), whatever loss trained it. ",
      "The NLLs here are the estimates made at each evaluation (eval_iters random batches); `gptlab eval` gives the whole-split figure."), table,
    el("h2", {}, "Config keys that differ"), diff,
    el("div", { class: "toolbar" }, xSelect, logBox), charts);
  makeCharts();
}
