// A run's records, kept growing from the server's event stream.
import { api, onLeave, reopen, setLive } from "./dom.js";

/** Holds a run's metric and sample records and keeps them growing; onChange(feed, what, newRecords). */
export async function runFeed(name, onChange) {
  const [run, metrics] = await Promise.all([api(`api/run?name=${encodeURIComponent(name)}`), api(`api/run/metrics?name=${encodeURIComponent(name)}`)]);
  const feed = { run, records: metrics.records, samples: run.samples, state: run.summary.status };
  const es = new EventSource(`api/run/events?name=${encodeURIComponent(name)}&offset=${metrics.offset}&samples_offset=${run.samples_offset}`);
  es.onopen = () => setLive(true);
  es.onerror = () => setLive(false);
  es.addEventListener("metrics", e => { const records = JSON.parse(e.data).records; feed.records.push(...records); onChange(feed, "metrics", records); });
  es.addEventListener("samples", e => { feed.samples.push(...JSON.parse(e.data).records); onChange(feed, "samples"); });
  es.addEventListener("status", e => { feed.state = JSON.parse(e.data).state; onChange(feed, "status"); });
  es.addEventListener("reset", () => { es.close(); reopen(); });   // the run was rewound (resumed): start over
  onLeave(() => { es.close(); setLive(false); });
  return feed;
}
