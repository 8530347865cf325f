#!/usr/bin/env python3
"""Expected data-parallel scaling on N machines, with the gradients reduced after backward (ddp_overlap false) and
while backward runs (ddp_overlap true), from a measured step time and a ring allreduce moving 2(N-1)/N x the
bucket's bytes at the link's bandwidth (latency ignored; the communication is assumed to need no core, as with a
NIC or a core left free for the MPI thread).

Overlap follows GptLab's buckets: stages in backward's order (ln_f and the head, blocks top to bottom, then the
embeddings, which the tied head makes final only at the end), a bucket sent once it holds >= 1M floats; backward
time is shared among the stages by their matmul FLOPs; one bucket on the wire at a time.

    python3 bench/ddp_projection.py                       # the README's table
    python3 bench/ddp_projection.py --b-step 1.18 --backward-share 0.65
"""
import argparse

BUCKET = 1 << 20   # floats, as BucketedAverage.BucketFloats


def model(n_layer, n_embd, vocab, block):
    blocks = [12 * n_embd * n_embd + 13 * n_embd] * n_layer          # attention + MLP weights, biases, two norms
    head_flops = vocab * n_embd                                        # tied: the head's backward, its gradient to wte
    stages = [(2 * n_embd, head_flops)] + [(p, p) for p in blocks]     # (floats, relative backward time)
    stages.append((vocab * n_embd + block * n_embd, 0))               # wte (+ wpe): final when backward ends
    return stages


def efficiency(stages, step_s, backward_share, n, gbit, overlap):
    per_float = 4 * 2 * (n - 1) / n / (gbit / 8 * 1e9)               # seconds on the wire per float
    total = sum(f for f, _ in stages)
    if not overlap:
        return step_s / (step_s + total * per_float)
    backward = backward_share * step_s
    work = sum(w for _, w in stages)
    t, wire_free, pending, exposed_end = 0.0, 0.0, 0, 0.0
    sends = []
    for floats, w in stages:
        t += backward * w / work
        pending += floats
        if pending >= BUCKET:
            sends.append((t, pending))
            pending = 0
    if pending:
        sends.append((backward, pending))
    for ready, floats in sends:
        wire_free = max(wire_free, ready) + floats * per_float
    exposed = max(0.0, wire_free - backward)
    return step_s / (step_s + exposed)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--a-step', type=float, default=0.025)
    ap.add_argument('--b-step', type=float, default=1.18)
    ap.add_argument('--gpt2-step', type=float, default=40.0)
    ap.add_argument('--backward-share', type=float, default=0.65, help='backward / whole step (measured for b: ~0.65)')
    a = ap.parse_args()
    models = [('a', model(4, 128, 128, 64), a.a_step), ('b', model(6, 384, 128, 256), a.b_step),
              ('GPT-2 124M', model(12, 768, 50304, 1024), a.gpt2_step)]
    print('| model | link | reduced | 4 machines | 8 | 16 |\n|---|---|---|---|---|---|')
    for name, stages, step in models:
        for gbit in (10, 100):
            for overlap in (False, True):
                cells = [f'{100 * efficiency(stages, step, a.backward_share, n, gbit, overlap):.1f}%' for n in (4, 8, 16)]
                print(f"| {name} | {gbit} Gb/s | {'during backward' if overlap else 'after backward'} | {' | '.join(cells)} |")


if __name__ == '__main__':
    main()
