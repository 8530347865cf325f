// Shared page helpers: building elements, calling the API, formatting numbers, sortable tables, and what a page
// must stop (event streams, timers, charts) when another one opens.

export const main = document.getElementById("main");
export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

let cleanup = [];
/** Registers what to stop when the page is left. */
export function onLeave(fn) { cleanup.push(fn); }
/** Stops the current page's streams and timers (the router calls it before opening another). */
export function leavePage() { cleanup.forEach(f => f()); cleanup = []; }
/** Opens the current route again (a live run was rewound). */
export function reopen() { window.dispatchEvent(new HashChangeEvent("hashchange")); }

export function el(tag, attrs, ...children) {
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

export async function api(path, init) {
  const r = await fetch(path, init);
  if (!r.ok) throw new Error(`${r.status}: ${await r.text()}`);
  return r.json();
}

// whitespace and control characters made visible (a space token is otherwise an invisible label): ␣ ↵ ⇥ ␍ \xNN
export const showWhitespace = t => [...t].map(c => c === " " ? "␣" : c === "\n" ? "↵" : c === "\t" ? "⇥" : c === "\r" ? "␍"
  : c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127 ? `\\x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}` : c).join("");
window.gptlabVisible = showWhitespace;   // for the browser tests

export const num = (v, d = 4) => (v == null || !isFinite(v)) ? "–" : Number(v).toFixed(d);
export const int = v => (v == null || !isFinite(v)) ? "–" : Math.round(v).toLocaleString("en-US");
export const secs = s => s == null ? "–" : s < 120 ? `${s.toFixed(0)} s` : s < 7200 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`;
export const status = s => el("span", { class: `status ${s}`, "data-status": s }, s);
export const runLink = name => el("a", { href: `#/run/${encodeURIComponent(name)}` }, name);
/** A config value as the tables show it: strings bare, the rest as JSON. */
export const valueText = v => v == null ? "–" : typeof v === "string" ? v : JSON.stringify(v);
export function setLive(on) { document.getElementById("live").classList.toggle("on", on); }
export function showError(e) { main.replaceChildren(el("p", { class: "error" }, String(e.message || e))); }

/** Runs fn at most once per animation frame however often it is asked (a live run sends many small updates). */
export function throttled(fn) {
  let queued = false;
  return () => { if (queued) return; queued = true; requestAnimationFrame(() => { queued = false; fn(); }); };
}

/**
 * A table whose headers sort it. columns: [{key, label, num, render(row)}]; rows: objects. onRow(tr, row) may return
 * extra rows to show under that one (an expanded sweep's trials).
 */
export function sortableTable(columns, rows, { initial, onRow, limit = Infinity } = {}) {
  let sortKey = initial?.key, dir = initial?.dir || 1, shown = limit;
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
    // a long table shows its first rows (in the chosen order) and a button for the rest: a 1,000-trial sweep's
    // table laid out in full took most of its page's first paint
    tbody.replaceChildren(...sorted.slice(0, shown).flatMap(r => {
      const tr = el("tr", {}, columns.map(c => el("td", { class: c.num ? "num" : "" }, c.render ? c.render(r) : r[c.key] ?? "–")));
      return [tr, ...(onRow?.(tr, r) || [])];
    }), ...(sorted.length > shown ? [el("tr", { class: "more" }, el("td", { colspan: columns.length },
      `${sorted.length - shown} more rows · `, el("button", { class: "link show-all", onclick: () => { shown = Infinity; draw(); } }, `show all ${sorted.length}`)))] : []));
  }
  table._rows = rows;
  table.update = newRows => { table._rows = newRows; draw(); };
  draw();
  return table;
}

/** A link that downloads text made in the page (a chart's SVG). */
export function downloadText(filename, type, text) {
  const a = el("a", { href: URL.createObjectURL(new Blob([text], { type })), download: filename });
  document.body.append(a); a.click(); a.remove();
}
