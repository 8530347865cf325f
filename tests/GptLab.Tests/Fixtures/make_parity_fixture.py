#!/usr/bin/env python3
"""Writes gpt_parity.safetensors: a tiny nanoGPT model's weights (GPT-2 names), an input, targets, and the logits
and loss PyTorch computes for them. GptLab's ModelParityTests load it and must match to 1e-5.

Run once (Debian 12: apt-get install python3-torch):  /usr/bin/python3 make_parity_fixture.py
The model code is nanoGPT's model.py (the manual attention path, which equals scaled_dot_product_attention).
"""
import json, math, struct
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

V, T, L, H, C = 11, 8, 2, 2, 16   # vocab, block, layers, heads, width


class CausalSelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_attn = nn.Linear(C, 3 * C)
        self.c_proj = nn.Linear(C, C)
        self.register_buffer("bias", torch.tril(torch.ones(T, T)).view(1, 1, T, T))

    def forward(self, x):
        B, t, _ = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        k = k.view(B, t, H, C // H).transpose(1, 2)
        q = q.view(B, t, H, C // H).transpose(1, 2)
        v = v.view(B, t, H, C // H).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :t, :t] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, t, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_fc = nn.Linear(C, 4 * C)
        self.c_proj = nn.Linear(4 * C, C)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1, self.attn, self.ln_2, self.mlp = nn.LayerNorm(C), CausalSelfAttention(), nn.LayerNorm(C), MLP()

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(wte=nn.Embedding(V, C), wpe=nn.Embedding(T, C),
                                              h=nn.ModuleList([Block() for _ in range(L)]), ln_f=nn.LayerNorm(C)))
        self.lm_head = nn.Linear(C, V, bias=False)
        self.transformer.wte.weight = self.lm_head.weight

    def forward(self, idx, targets):
        pos = torch.arange(idx.size(1))
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for b in self.transformer.h:
            x = b(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        return logits, F.cross_entropy(logits.view(-1, V), targets.view(-1))


def save_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        a = t.detach().contiguous().numpy()
        dtype = {np.float32: "F32", np.int64: "I64"}[a.dtype.type]
        b = a.tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


torch.manual_seed(0)
model = GPT()
with torch.no_grad():   # random, non-trivial weights everywhere (LayerNorm and biases too)
    for p in model.parameters():
        p.copy_(torch.randn_like(p) * 0.3)
idx = torch.randint(0, V, (2, T))
targets = torch.randint(0, V, (2, T))
logits, loss = model(idx, targets)
tensors = {n: p for n, p in model.state_dict().items() if not n.endswith(".attn.bias") and n != "lm_head.weight"}
tensors.update({"input.idx": idx, "input.targets": targets, "expected.logits": logits, "expected.loss": loss.reshape(1)})
save_safetensors("gpt_parity.safetensors", tensors)
print("loss", loss.item(), "torch", torch.__version__)
