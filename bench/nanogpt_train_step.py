#!/usr/bin/env python3
"""nanoGPT's own train.py inner loop, for timing GptLab's training step against it (bench/compare_reference.py
--reference nanogpt alternates the two).

Builds nanoGPT's GPT (../shared/reference/nanogpt/model.py, imported, not copied) and optimizer
(model.configure_optimizers: AdamW with its decay / no-decay groups), and runs train.py's loop body per iteration:
set the lr, forward under `ctx` (nullcontext for float32, torch.autocast(cpu, bfloat16) for bfloat16), fetch the next
batch, backward, clip_grad_norm_(1.0), optimizer step, zero_grad(set_to_none=True) — no torch.compile (not on this
PyTorch), no DDP. Random tokens stand in for train.bin (the step time does not depend on them).

Configs (train_shakespeare_char.py at batch 12): b = 6L/6H/384, block 256, vocab 65, dropout 0.2, bias False;
a = 4L/4H/128, block 64, batch 12, dropout 0.0 (nanoGPT's README CPU run).
Usage:  /usr/bin/python3 bench/nanogpt_train_step.py [--config b] [--dtype float32|bfloat16] [--iters 20] [--warmup 3] [--threads 2]
Prints one JSON line: median ms/iter, tokens/s, forward / backward+clip / optimizer ms.
"""
import argparse, json, math, os, statistics, sys, time
from contextlib import nullcontext

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(ROOT), "shared", "reference", "nanogpt"))

import torch  # noqa: E402
from model import GPT, GPTConfig  # noqa: E402

CONFIGS = {
    "a": dict(n_layer=4, n_head=4, n_embd=128, block_size=64, batch_size=12, dropout=0.0),
    "b": dict(n_layer=6, n_head=6, n_embd=384, block_size=256, batch_size=12, dropout=0.2),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="b", choices=sorted(CONFIGS))
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dropout", type=float, default=None)
    a = ap.parse_args()
    c = dict(CONFIGS[a.config])
    if a.dropout is not None:
        c["dropout"] = a.dropout
    torch.set_num_threads(a.threads)
    torch.manual_seed(1337)
    B, T = c.pop("batch_size"), c["block_size"]
    model = GPT(GPTConfig(vocab_size=65, bias=False, **c))
    model.train()
    optimizer = model.configure_optimizers(0.1, 1e-3, (0.9, 0.99), "cpu")
    ctx = nullcontext() if a.dtype == "float32" else torch.amp.autocast(device_type="cpu", dtype=torch.bfloat16)
    get_batch = lambda: (torch.randint(65, (B, T)), torch.randint(65, (B, T)))
    X, Y = get_batch()
    fwd, bwd, opt, total = [], [], [], []
    for it in range(a.warmup + a.iters):
        lr = 1e-3 * min(1.0, (it + 1) / 100)   # train.py's get_lr during warm-up
        for g in optimizer.param_groups:
            g["lr"] = lr
        t0 = time.perf_counter()
        with ctx:
            logits, loss = model(X, Y)
        t1 = time.perf_counter()
        X, Y = get_batch()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        t2 = time.perf_counter()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        t3 = time.perf_counter()
        if it >= a.warmup:
            fwd.append(t1 - t0); bwd.append(t2 - t1); opt.append(t3 - t2); total.append(t3 - t0)
    ms = statistics.median(total) * 1000
    print(json.dumps({"config": a.config, "dtype": a.dtype, "ms_per_iter": ms, "tokens_per_s": B * T / (ms / 1000),
                      "forward_ms": statistics.median(fwd) * 1000, "backward_ms": statistics.median(bwd) * 1000,
                      "optimizer_ms": statistics.median(opt) * 1000, "final_loss": float(loss), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
