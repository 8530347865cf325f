#!/usr/bin/env python3
"""Times `gptlab bench` against shared/bench/torch_reference.py (plain PyTorch, nanoGPT's math) in one run,
alternating them, and prints medians and the GptLab/PyTorch speed ratio (tokens/s) per round.

Usage:  python3 bench/compare_reference.py [--config a|b] [--dtype float32|bfloat16] [--rounds 5] [--iters N]
        [--reference plain|nanogpt [--ref-dtype float32|bfloat16]] [--ref-setup auto|threads|passive|blas]
--reference nanogpt times nanoGPT's own train.py loop instead (bench/nanogpt_train_step.py: its model.py and
configure_optimizers, autocast for bf16, clip 1.0; config b with dropout 0.2 as train_shakespeare_char.py), and GptLab
with the same dropout.
PyTorch's own threading is set up at its fastest on this machine first (--ref-setup auto): Debian's torch 1.13 calls
OpenBLAS, whose threads and torch's OpenMP threads oversubscribe 2 cores — measured for config b, default settings
1,810 ms/iter, OMP_WAIT_POLICY=PASSIVE 1,216-1,235, torch on 1 thread with OpenBLAS on 2 1,013-1,206 (pthread
OpenBLAS; OPENBLAS_CORETYPE unset). Each candidate is timed for a few iterations and the fastest is used.
Needs:  a published gptlab (default: dotnet publish src/GptLab.Cli -c Release -o out), and for the reference
        Debian's python3-torch (apt-get install python3-torch libopenblas0-openmp). Without ../shared/bench/ the
        reference is skipped with a message.
"""
import argparse, json, os, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF = os.path.join(os.path.dirname(ROOT), "shared", "bench", "torch_reference.py")


def run(cmd, env=None):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} failed:\n{out.stderr.strip()}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="a", choices=["a", "b"])
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--iters", type=int, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gptlab", default=os.path.join(ROOT, "out", "gptlab"))
    ap.add_argument("--reference", default="plain", choices=["plain", "nanogpt"])
    ap.add_argument("--ref-dtype", default=None, choices=["float32", "bfloat16"],
                    help="nanogpt: the reference's dtype (default: --dtype); e.g. GptLab in bf16 against nanoGPT's fp32 step")
    ap.add_argument("--ref-setup", default="auto", choices=["auto", "threads", "passive", "blas"],
                    help="PyTorch's threading: torch on --threads threads (as before), + OMP_WAIT_POLICY=PASSIVE, "
                         "torch on 1 thread with OpenBLAS on --threads; auto: the fastest of them, timed here")
    a = ap.parse_args()
    iters = a.iters or (40 if a.config == "a" else 8)
    warm = 5 if a.config == "a" else 2
    ours = [a.gptlab, "bench", "--preset", a.config, "--dtype", a.dtype, "--iters", str(iters), "--warmup", str(warm),
            "--threads", str(a.threads), "--json"]
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    env.pop("OPENBLAS_CORETYPE", None)
    ref = ["/usr/bin/python3", REF, "--config", a.config, "--iters", str(iters), "--warmup", str(warm), "--threads", str(a.threads)]
    have_ref = os.path.exists(REF)
    if a.reference == "nanogpt":
        dropout = "0.2" if a.config == "b" else "0.0"
        ours += ["--set", f"dropout={dropout}"]
        ref = ["/usr/bin/python3", os.path.join(ROOT, "bench", "nanogpt_train_step.py"), "--config", a.config, "--dtype", a.ref_dtype or a.dtype,
               "--iters", str(iters), "--warmup", str(warm), "--threads", str(a.threads), "--dropout", dropout]
        have_ref = os.path.exists(os.path.join(os.path.dirname(ROOT), "shared", "reference", "nanogpt", "model.py"))
    if not have_ref:
        print(f"note: {REF} not found: timing GptLab alone")
    setups = {
        "threads": (a.threads, {}),
        "passive": (a.threads, {"OMP_WAIT_POLICY": "PASSIVE"}),
        "blas": (1, {"OPENBLAS_NUM_THREADS": str(a.threads)}),
    }

    def with_setup(name):
        threads, extra = setups[name]
        cmd = list(ref)
        cmd[cmd.index("--threads") + 1] = str(threads)
        return cmd, dict(env, OMP_NUM_THREADS=str(threads), **extra)

    if have_ref:
        chosen = a.ref_setup
        if chosen == "auto":
            probe = {}
            for name in setups:
                cmd, e = with_setup(name)
                cmd[cmd.index("--iters") + 1], cmd[cmd.index("--warmup") + 1] = "3", "1"
                probe[name] = run(cmd, e)["ms_per_iter"]
            chosen = min(probe, key=probe.get)
            print("pytorch setup probe (ms/iter): " + ", ".join(f"{k} {v:.0f}" for k, v in probe.items()) + f" -> {chosen}", flush=True)
        ref, env = with_setup(chosen)
    rows = []
    for r in range(a.rounds):
        g = run(ours)
        p = run(ref, env) if have_ref else None
        rows.append((g, p))
        line = f"round {r + 1}: gptlab {g['ms_per_iter']:.1f} ms ({g['tokens_per_s']:.0f} tok/s)"
        if p:
            line += f"  pytorch {p['ms_per_iter']:.1f} ms ({p['tokens_per_s']:.0f} tok/s)  ratio {g['tokens_per_s'] / p['tokens_per_s']:.2f}x"
        print(line, flush=True)
    med = lambda xs: statistics.median(xs)
    summary = {"config": a.config, "dtype": a.dtype, "ref_dtype": a.ref_dtype or a.dtype, "threads": a.threads, "rounds": a.rounds, "reference": a.reference,
               "pytorch_setup": chosen if have_ref else None,
               "gptlab_ms": med([g["ms_per_iter"] for g, _ in rows]),
               "gptlab_forward_ms": med([g["forward_ms"] for g, _ in rows]),
               "gptlab_backward_ms": med([g["backward_ms"] for g, _ in rows]),
               "gptlab_optimizer_ms": med([g["optimizer_ms"] for g, _ in rows]),
               "gptlab_mfu": med([g["mfu"] for g, _ in rows]), "gptlab_peak_rss_mb": max(g["peak_rss_mb"] for g, _ in rows)}
    if have_ref:
        summary.update({"pytorch_ms": med([p["ms_per_iter"] for _, p in rows]),
                        "pytorch_forward_ms": med([p["forward_ms"] for _, p in rows]),
                        "pytorch_backward_ms": med([p["backward_ms"] for _, p in rows]),
                        "pytorch_optimizer_ms": med([p["optimizer_ms"] for _, p in rows]),
                        "speed_ratio_median": med([g["tokens_per_s"] / p["tokens_per_s"] for g, p in rows])})
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
