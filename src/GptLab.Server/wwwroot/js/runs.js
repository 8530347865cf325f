// The runs page: every run with the hyperparameter columns you choose, a filter by name, status or config value, the
// sweeps with their trials one click away, and runs to compare.
import { el, api, main, onLeave, num, int, secs, status, runLink, setLive, sortableTable, valueText } from "./dom.js";

// shown first when the runs differ in them (W&B shows the config columns that vary)
const PREFERRED = ["dataset", "loss", "learning_rate", "n_layer", "n_embd", "n_head", "block_size", "batch_size", "dropout", "max_iters"];
const ALIASES = { lr: "learning_rate", layers: "n_layer", width: "n_embd", heads: "n_head", block: "block_size", batch: "batch_size" };
const STORED = "gptlab.runs.columns";

/**
 * A filter: words match a run's name or status; `key=value`, `key!=value`, `key<value`, `key<=value`, `key>value`,
 * `key>=value` match its config (numbers compared as numbers; lr, layers, width, heads, block, batch are short names).
 * Returns a predicate and the words it could not use.
 */
export function parseFilter(text, keys) {
  const tests = [], unknown = [];
  for (const word of text.trim().split(/\s+/).filter(Boolean)) {
    const m = word.match(/^([A-Za-z_][\w.]*)(!=|<=|>=|=|<|>)(.*)$/);
    if (!m) { const q = word.toLowerCase(); tests.push(r => r.name.toLowerCase().includes(q) || r.status.includes(q)); continue; }
    const key = ALIASES[m[1]] || m[1], op = m[2], want = m[3];
    if (!keys.has(key)) { unknown.push(m[1]); continue; }
    tests.push(r => {
      const v = r.config?.[key];
      const a = Number(v), b = Number(want), numeric = v !== null && v !== "" && typeof v !== "boolean" && isFinite(a) && want !== "" && isFinite(b);
      const x = numeric ? a : valueText(v), y = numeric ? b : want;
      switch (op) {
        case "=": return x === y; case "!=": return x !== y;
        case "<": return x < y; case "<=": return x <= y; case ">": return x > y; default: return x >= y;
      }
    });
  }
  return { test: r => tests.every(t => t(r)), unknown };
}
window.gptlabParseFilter = parseFilter;   // for the browser tests

export async function runsPage() {
  const [runs, sweeps] = await Promise.all([api("api/runs"), api("api/sweeps")]);
  let all = runs;
  const selected = new Set(), expanded = new Map();   // sweep name → its trials, once fetched
  const keysOf = rs => [...new Set(rs.flatMap(r => Object.keys(r.config || {})))].sort();
  const differing = rs => keysOf(rs).filter(k => new Set(rs.map(r => JSON.stringify(r.config?.[k]))).size > 1);
  let chosen;
  try { chosen = JSON.parse(localStorage.getItem(STORED)); } catch { chosen = null; }
  if (!Array.isArray(chosen)) chosen = PREFERRED.filter(k => differing(runs).includes(k)).slice(0, 5);

  const filter = el("input", { type: "search", placeholder: "filter: name, status, or config (n_layer=4 lr<1e-3 loss=mse)", id: "filter", size: 48 });
  const filterNote = el("span", { class: "muted small", id: "filter-note" });
  const compare = el("button", { id: "compare", disabled: true, onclick: () => location.hash = `#/compare/${[...selected].map(encodeURIComponent).join(",")}` }, "Compare selected");
  const columnsBox = el("details", { id: "columns", class: "columns" });
  const tableHost = el("div");
  let table;
  const visible = () => {
    const { test, unknown } = parseFilter(filter.value, new Set(keysOf(all)));
    filterNote.textContent = unknown.length ? `no config key ${unknown.map(k => `'${k}'`).join(", ")} — the keys are the run's config.json names` : "";
    return all.filter(test);
  };
  const makeTable = () => {
    const columns = [
      { key: "pick", label: "", render: r => el("input", { type: "checkbox", checked: selected.has(r.name), onchange: e => { e.target.checked ? selected.add(r.name) : selected.delete(r.name); compare.disabled = selected.size < 1; } }) },
      { key: "name", label: "run", render: r => runLink(r.name) },
      { key: "status", label: "status", render: r => status(r.status) },
      ...chosen.map(k => ({ key: `c:${k}`, label: k, num: true, render: r => valueText(r.config?.[k]) })),
      { key: "steps", label: "steps", num: true, render: r => int(r.steps) },
      { key: "tokens", label: "tokens", num: true, render: r => int(r.tokens) },
      { key: "best_val_nll", label: "best val NLL", num: true, render: r => num(r.best_val_nll) },
      { key: "perplexity", label: "perplexity", num: true, render: r => num(r.perplexity, 2) },
      { key: "parameters", label: "parameters", num: true, render: r => r.parameters ? `${(r.parameters / 1e6).toFixed(2)}M` : "–" },
      { key: "world_size", label: "ranks", num: true },
      { key: "wall_s", label: "wall", num: true, render: r => secs(r.wall_s) },
      { key: "started", label: "started", render: r => r.started ? new Date(r.started).toLocaleString() : "–" },
    ];
    const rows = rs => rs.map(r => ({ ...r, ...Object.fromEntries(chosen.map(k => [`c:${k}`, r.config?.[k]])) }));
    table = sortableTable(columns, rows(visible()), { onRow: (tr, r) => { tr.dataset.run = r.name; } });
    table.id = "runs";
    table.refresh = () => table.update(rows(visible()));
    tableHost.replaceChildren(all.length ? table : el("p", { class: "muted" }, "no runs here yet — `gptlab train --out runs/NAME` writes one"));
  };
  const makeColumns = () => {
    const keys = keysOf(all), differ = new Set(differing(all));
    columnsBox.replaceChildren(el("summary", {}, `columns (${chosen.length} of ${keys.length} config keys)`),
      el("p", { class: "muted small" }, "config keys as columns; bold: the runs differ in it"),
      el("div", { class: "column-picks" }, keys.map(k => el("label", { class: differ.has(k) ? "differs" : "" },
        el("input", { type: "checkbox", value: k, checked: chosen.includes(k), onchange: e => {
          chosen = e.target.checked ? [...chosen, k] : chosen.filter(c => c !== k);
          localStorage.setItem(STORED, JSON.stringify(chosen));
          columnsBox.querySelector("summary").textContent = `columns (${chosen.length} of ${keys.length} config keys)`;
          makeTable();
        } }), " ", k))));
  };
  filter.addEventListener("input", () => table.refresh());
  makeColumns(); makeTable();

  // sweeps, each with its trials listed under it on demand (a trial is an ordinary run folder: each links to its page)
  const trialsRow = (s, trials) => el("tr", { class: "sweep-trials", "data-sweep": s.name }, el("td", { colspan: 12 },
    trials.length ? el("div", { class: "trial-list" }, trials.map(t => el("span", { class: "trial-item" },
      t.run ? el("a", { href: `#/run/${encodeURIComponent(t.run)}`, class: "trial-run" }, `#${t.config_id}`) : `#${t.config_id}`,
      " ", status(t.status), t.metric != null ? ` ${num(t.metric)}` : "")))
      : el("span", { class: "muted" }, "no trials yet")));
  const sweepTable = sortableTable([
    { key: "name", label: "sweep", render: s => el("a", { href: `#/sweep/${encodeURIComponent(s.name)}` }, s.name) },
    { key: "method", label: "method" }, { key: "metric", label: "metric" },
    { key: "configurations", label: "configurations", num: true },
    { key: "done", label: "done", num: true }, { key: "pruned", label: "pruned", num: true }, { key: "running", label: "running", num: true }, { key: "queued", label: "queued", num: true }, { key: "failed", label: "failed", num: true },
    { key: "phase", label: "phase", render: s => `${s.phase} of ${s.phases}` },
    { key: "best", label: "best", num: true, render: s => num(s.best) },
    { key: "trials", label: "trials", render: s => el("button", { class: "link toggle-trials", onclick: async () => {
      if (expanded.has(s.name)) expanded.delete(s.name);
      else expanded.set(s.name, await api(`api/sweep/trials?name=${encodeURIComponent(s.name)}`));
      sweepTable.update(sweepTable._rows);
    } }, expanded.has(s.name) ? "hide ▾" : `${int(s.trials)} ▸`) },
  ], sweeps, { onRow: (tr, s) => { tr.dataset.sweep = s.name; return expanded.has(s.name) ? [trialsRow(s, expanded.get(s.name))] : []; } });
  sweepTable.id = "sweeps";
  main.replaceChildren(
    el("h1", {}, "Runs"),
    el("div", { class: "toolbar" }, filter, compare, columnsBox, el("span", { class: "muted" }, "status updates live; click a header to sort")),
    filterNote, tableHost,
    el("h2", {}, "Sweeps"),
    sweeps.length ? sweepTable : el("p", { class: "muted" }, "no sweeps here — `gptlab sweep SPEC --out runs/NAME` starts one"));
  const timer = setInterval(async () => {
    try {
      const [fresh, freshSweeps] = await Promise.all([api("api/runs"), api("api/sweeps")]);
      all = fresh; table.refresh();
      for (const name of expanded.keys()) expanded.set(name, await api(`api/sweep/trials?name=${encodeURIComponent(name)}`));
      sweepTable.update(freshSweeps); setLive(true);
    } catch { setLive(false); }
  }, 2000);
  onLeave(() => clearInterval(timer));
}
