// A run's records, kept growing from the server's event stream.
import { api, onLeave, reopen, setLive } from "./dom.js";

// slices of a long run's steps the server keeps the first, last, lowest and highest training line of: more than the
// widest chart has pixels
const ENVELOPE = 1000;

/** Holds a run's metric and sample records and keeps them growing; onChange(feed, what, newRecords). */
export async function runFeed(name, onChange) {
  const [run, metrics] = await Promise.all([api(`api/run?name=${encodeURIComponent(name)}`), api(`api/run/metrics?name=${encodeURIComponent(name)}&envelope=${ENVELOPE}`)]);
  // a long run arrives as its envelope (every spike kept); lines arriving live are all kept
  const feed = { run, records: fromColumns(metrics), lines: metrics.lines, kept: metrics.count, samples: run.samples, state: run.summary.status };
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

// the metrics as the server sends them (columns: one array per key) made into one record per line
function fromColumns({ count, columns }) {
  const keys = Object.keys(columns), cols = keys.map(k => columns[k]), records = new Array(count);
  for (let i = 0; i < count; i++) {
    const r = {};
    for (let k = 0; k < keys.length; k++) { const v = cols[k][i]; if (v !== null) r[keys[k]] = v; }
    records[i] = r;
  }
  return records;
}
