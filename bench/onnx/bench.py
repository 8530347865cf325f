#!/usr/bin/env python3
"""Generation, whole process: nanoGPT's sample.py loop vs `gptlab sample` (libtorch) vs `gptlab sample --engine onnx`
(fp32, int8) vs examples/generate (the ReadyToRun app on GptLab.Inference), alternating, median of --rounds.

Usage:  python3 bench/onnx/bench.py --checkpoint CK [--gptlab PATH] [--app PATH] [--rounds 3] [--tokens 500]
        [--eval-run RUN --eval-data DATA]
CK: a GptLab checkpoint of nanoGPT's Shakespeare shape (6L/6H/384, block 256, vocab 65, bias false), e.g. from
`gptlab train --preset shakespeare-char --set max_iters=1 --set bias=false --out six` (speed does not depend on the
weights; bench/nanogpt_sample.py builds the same shape with random weights). The script exports CK to ONNX (fp32 and
int8) and GGUF beside it. Needs Debian's python3-torch for the nanoGPT side (/usr/bin/python3).
--eval-run/--eval-data: also print the whole-split val NLL of a trained run through each engine.
"""
import argparse, json, os, re, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def timed(cmd):
    # nanoGPT's fastest setting here: torch 1 thread, OpenBLAS 2 (Debian's torch with OpenBLAS's own threads beside
    # torch's oversubscribes the 2 cores: 3x slower); only the python side reads OPENBLAS_NUM_THREADS
    env = dict(os.environ, OPENBLAS_NUM_THREADS="2")
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr[-2000:]}")
    return dt, r.stdout + r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--gptlab", default=os.path.join(ROOT, "src/GptLab.Cli/bin/Release/net10.0/linux-x64/gptlab"))
    ap.add_argument("--app", default="/tmp/gptlab-generate/Generate")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tokens", type=int, default=500)
    ap.add_argument("--work", default="/tmp/gptlab-onnx-bench")
    ap.add_argument("--eval-run")
    ap.add_argument("--eval-data")
    a = ap.parse_args()
    g = a.gptlab
    os.makedirs(a.work, exist_ok=True)
    fp32, int8, gguf = (os.path.join(a.work, n) for n in ("fp32", "int8", "model.gguf"))
    timed([g, "export", "--checkpoint", a.checkpoint, "--format", "onnx", "--out", fp32, "--force"])
    timed([g, "export", "--checkpoint", a.checkpoint, "--format", "onnx", "--quantize", "int8", "--out", int8, "--force"])
    timed([g, "export", "--checkpoint", a.checkpoint, "--format", "gguf", "--out", gguf, "--force"])
    size = lambda d: sum(os.path.getsize(os.path.join(d, f)) for f in ("model.onnx", "model.onnx_data"))
    ck = sum(os.path.getsize(os.path.join(a.checkpoint, f)) for f in os.listdir(a.checkpoint))
    print(f"files: checkpoint {ck / 2**20:.1f} MiB (weights + optimizer state), onnx fp32 {size(fp32) / 2**20:.1f} MiB, "
          f"onnx int8 {size(int8) / 2**20:.1f} MiB, gguf F32 {os.path.getsize(gguf) / 2**20:.1f} MiB")

    py = ["/usr/bin/python3", os.path.join(ROOT, "bench/nanogpt_sample.py"), "--threads", "1"]
    engines = {
        "nanoGPT sample.py": lambda n, s: py + ["--tokens", str(n), "--samples", str(s)],
        "gptlab sample (libtorch)": lambda n, s: [g, "sample", "--checkpoint", a.checkpoint, "--max-new-tokens", str(n), "--num-samples", str(s), "--threads", "2"],
        "gptlab sample --engine onnx fp32": lambda n, s: [g, "sample", "--engine", "onnx", "--model", fp32, "--max-new-tokens", str(n), "--num-samples", str(s)],
        "gptlab sample --engine onnx int8": lambda n, s: [g, "sample", "--engine", "onnx", "--model", int8, "--max-new-tokens", str(n), "--num-samples", str(s)],
    }
    if os.path.exists(a.app):
        engines["examples/generate app fp32"] = lambda n, s: [a.app, fp32, "", str(n)] if s == 1 else None
        engines["examples/generate app int8"] = lambda n, s: [a.app, int8, "", str(n)] if s == 1 else None
    cases = [("one sample", a.tokens, 1), ("first token (1-token run)", 1, 1), ("10 samples", a.tokens, 10)]
    times = {(e, c[0]): [] for e in engines for c in cases}
    for r in range(a.rounds):
        for label, n, s in cases:
            if s > 1 and r > 0:
                continue   # 10 samples: one round (nanoGPT's sample.py generates them one after another: minutes)
            for e, make in engines.items():
                cmd = make(n, s)
                if cmd is None:
                    continue
                dt, _ = timed(cmd)
                times[(e, label)].append(dt)
        print(f"round {r + 1} of {a.rounds} done", file=sys.stderr)
    print(f"\nwhole process, median of {a.rounds} (10 samples: one run) (libtorch 2 threads; nanoGPT torch 1 thread + OpenBLAS 2, its fastest here; ONNX Runtime 1 thread), {a.tokens} tokens:")
    print(f"| engine | {' | '.join(c[0] for c in cases)} | × nanoGPT (one sample) |")
    print("|---|" + "---|" * (len(cases) + 1))
    base = statistics.median(times[("nanoGPT sample.py", "one sample")])
    for e in engines:
        cells = [f"{statistics.median(times[(e, c[0])]):.2f} s" if times[(e, c[0])] else "–" for c in cases]
        print(f"| {e} | {' | '.join(cells)} | {base / statistics.median(times[(e, 'one sample')]):.1f}× |")

    print("\ntokens/s (gptlab sample --stats, 1,000 tokens from a 1-token prompt; block_size 256):")
    for name, cmd in [("libtorch", [g, "sample", "--checkpoint", a.checkpoint, "--threads", "2"]), ("onnx fp32", [g, "sample", "--engine", "onnx", "--model", fp32]),
                      ("onnx int8", [g, "sample", "--engine", "onnx", "--model", int8])]:
        _, out = timed(cmd + ["--max-new-tokens", "1000", "--stats"])
        print(f"  {name}: {out.strip().splitlines()[-1]}")

    if a.eval_run and a.eval_data:
        ev32, ev8 = os.path.join(a.work, "eval-fp32"), os.path.join(a.work, "eval-int8")
        timed([g, "export", "--run", a.eval_run, "--format", "onnx", "--out", ev32, "--force"])
        timed([g, "export", "--run", a.eval_run, "--format", "onnx", "--quantize", "int8", "--out", ev8, "--force"])
        print(f"\nwhole-split val NLL of {a.eval_run}:")
        for name, cmd in [("libtorch", [g, "eval", "--run", a.eval_run]), ("onnx fp32", [g, "eval", "--engine", "onnx", "--model", ev32, "--data", a.eval_data]),
                          ("onnx int8", [g, "eval", "--engine", "onnx", "--model", ev8, "--data", a.eval_data])]:
            dt, out = timed(cmd + ["--json"])
            nll = json.loads(out.strip().splitlines()[-1])["nll"]
            print(f"  {name}: {nll:.6f} ({dt:.1f} s)")


if __name__ == "__main__":
    main()
