// "Try the model": the top next tokens for a prompt, and a sample streamed token by token, with the sampler's options.
import { el, api, onLeave, int, showWhitespace } from "./dom.js";
import { bars } from "./charts.js";

export function tryModel(name, checkpointList) {
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
    onLeave(() => es.close());
  } }, "Sample (stream)");
  const box = el("div", {}, prompt, controls, el("div", { class: "toolbar" }, top, go, note), el("div", { class: "two" }, out, sample));
  box.setCheckpoints = setCheckpoints;
  return box;
}
