#!/usr/bin/env python3
"""Makes the nanoGPT checkpoint fixture: a tiny char model trained 20 iterations by nanoGPT's own model.py
(../../../../shared/reference/nanogpt/model.py, imported) the way train.py does, saved as train.py saves ckpt.pt,
with the shakespeare_char meta.pkl, and the logits it gives for a fixed input.

Run once with Debian's python3-torch:  /usr/bin/python3 tests/GptLab.Tests/Fixtures/make_nanogpt_checkpoint.py
Writes Fixtures/nanogpt/{ckpt.pt, ckpt_compiled.pt, meta.pkl, logits.json}.
"""
import json, os, pickle, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(os.path.dirname(ROOT), "shared", "reference", "nanogpt"))
import torch  # noqa: E402
from model import GPT, GPTConfig  # noqa: E402

OUT = os.path.join(HERE, "nanogpt")
os.makedirs(OUT, exist_ok=True)
text = open(os.path.join(ROOT, "data", "shakespeare", "input.txt"), encoding="utf-8").read()
chars = sorted(list(set(text)))                     # nanoGPT's data/shakespeare_char/prepare.py
stoi = {ch: i for i, ch in enumerate(chars)}
itos = {i: ch for i, ch in enumerate(chars)}
with open(os.path.join(OUT, "meta.pkl"), "wb") as f:
    pickle.dump({"vocab_size": len(chars), "itos": itos, "stoi": stoi}, f)
data = torch.tensor([stoi[c] for c in text[:20000]], dtype=torch.long)
# nanoGPT's prepare.py layout: headerless uint16, the first 90% train, the rest val
import numpy as np  # noqa: E402
ids = np.array(data.tolist(), dtype=np.uint16)
ids[:18000].tofile(os.path.join(OUT, "train.bin"))
ids[18000:].tofile(os.path.join(OUT, "val.bin"))

torch.manual_seed(1337)
model_args = dict(n_layer=2, n_head=2, n_embd=16, block_size=16, bias=False, vocab_size=len(chars), dropout=0.0)
model = GPT(GPTConfig(**model_args))
optimizer = model.configure_optimizers(0.1, 1e-2, (0.9, 0.95), "cpu")
for it in range(20):                                 # train.py's loop, shortened
    ix = torch.randint(len(data) - 16, (4,))
    x = torch.stack([data[i:i + 16] for i in ix])
    y = torch.stack([data[i + 1:i + 17] for i in ix])
    _, loss = model(x, y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
config = {"dataset": "shakespeare_char", "batch_size": 4, "learning_rate": 1e-2, "max_iters": 20}
checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "model_args": model_args,
              "iter_num": 20, "best_val_loss": loss.detach(), "config": config}
torch.save(checkpoint, os.path.join(OUT, "ckpt.pt"))
# what torch.compile leaves in the state dict's names
checkpoint["model"] = {"_orig_mod." + k: v for k, v in model.state_dict().items()}
torch.save(checkpoint, os.path.join(OUT, "ckpt_compiled.pt"))

model.eval()
idx = torch.tensor([[stoi[c] for c in "First Citizen:\n"]], dtype=torch.long)
with torch.no_grad():
    # GPT.forward without targets returns only the last position; the full logits come from the blocks
    b, t = idx.size()
    pos = torch.arange(0, t, dtype=torch.long)
    h = model.transformer.drop(model.transformer.wte(idx) + model.transformer.wpe(pos))
    for block in model.transformer.h:
        h = block(h)
    logits = model.lm_head(model.transformer.ln_f(h))
    greedy = model.generate(idx, 50, temperature=1.0, top_k=1)[0, t:].tolist()   # sample.py's loop, top-1
    # the whole val split, non-overlapping windows of block_size, every target once (as `gptlab eval`)
    val = torch.tensor(ids[18000:].astype("int64"))
    total, count, T = 0.0, 0, model_args["block_size"]
    for start in range(0, len(val) - 1, T):
        n = min(T, len(val) - 1 - start)
        x, y = val[start:start + n][None], val[start + 1:start + n + 1][None]
        _, l = model(x, y)
        total += float(l) * n
        count += n
    val_nll = total / count
json.dump({"input": idx[0].tolist(), "logits": logits[0].tolist(), "iter_num": 20, "best_val_loss": float(loss), "greedy": greedy, "val_nll": val_nll},
          open(os.path.join(OUT, "logits.json"), "w"))
print("wrote", OUT)
