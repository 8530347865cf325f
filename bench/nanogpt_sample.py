#!/usr/bin/env python3
"""nanoGPT's sample.py generation loop, for timing against `gptlab sample` on the same model shape.

Builds nanoGPT's GPT (../shared/reference/nanogpt/model.py, imported, not copied) with the Shakespeare-char shape
(6 layers, 6 heads, 384 wide, block 256, vocab 65, no dropout, no bias), random weights (the speed does not depend
on them), and runs sample.py's loop: `model.generate(x, max_new_tokens, temperature=0.8, top_k=200)` from a
one-token prompt — crop to block_size and a full forward per token, no KV cache.

Usage:  /usr/bin/python3 bench/nanogpt_sample.py [--tokens 500] [--threads 2] [--samples 1]
Needs:  Debian's python3-torch.  Time it as a whole process (e.g. /usr/bin/time) beside
        `gptlab sample --checkpoint CK --max-new-tokens 500 --threads 2`.
"""
import argparse, os, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(ROOT), "shared", "reference", "nanogpt"))

import torch  # noqa: E402
from model import GPT, GPTConfig  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=500)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--samples", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1337)
    model = GPT(GPTConfig(block_size=256, vocab_size=65, n_layer=6, n_head=6, n_embd=384, dropout=0.0, bias=False))
    model.eval()
    x = torch.zeros((1, 1), dtype=torch.long)
    t0 = time.time()
    with torch.no_grad():
        for _ in range(a.samples):
            y = model.generate(x, a.tokens, temperature=0.8, top_k=200)
    dt = time.time() - t0
    print(f"nanoGPT generate: {a.samples} × {a.tokens} tokens in {dt:.2f} s = {a.samples * a.tokens / dt:.1f} tok/s", file=sys.stderr)
    print(y[0, -10:].tolist())


if __name__ == "__main__":
    main()
