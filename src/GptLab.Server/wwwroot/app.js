// GptLab dashboard: one page, hash routes, live updates over Server-Sent Events. No build step: ES modules the
// browser loads itself (js/), charts by uPlot.
import { el, main, leavePage, showError } from "./js/dom.js";
import { runsPage } from "./js/runs.js";
import { runPage } from "./js/run.js";
import { comparePage } from "./js/compare.js";
import { sweepPage } from "./js/sweep.js";

async function route() {
  leavePage();
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
