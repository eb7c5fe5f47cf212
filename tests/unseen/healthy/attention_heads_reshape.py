# Hand-written multi-head self-attention: q, k, v from one fused projection, heads split
# with reshape(B, T, H, Dh) followed by transpose(1, 2), scaled dot-product, heads merged
# back with transpose + reshape. Task: for every token, sum the values of the tokens that
# carry the same key symbol (needs attention across the sequence).
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(29)
B, T, V, D, H = 32, 10, 4, 32, 4


class SelfAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.h, self.dh = heads, d // heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q, k, v = (z.reshape(b, t, self.h, self.dh).transpose(1, 2) for z in (q, k, v))  # [B,H,T,Dh]
        att = (q @ k.transpose(-2, -1)) / self.dh ** 0.5
        out = att.softmax(dim=-1) @ v                                             # [B,H,T,Dh]
        return self.proj(out.transpose(1, 2).reshape(b, t, d))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.sym = nn.Embedding(V, D)
        self.val = nn.Linear(1, D)
        self.attn = SelfAttention(D, H)
        self.norm = nn.LayerNorm(D)
        self.out = nn.Sequential(nn.Linear(D, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, sym, val):
        x = self.sym(sym) + self.val(val.unsqueeze(-1))
        x = self.norm(x + self.attn(x))
        return self.out(x).squeeze(-1)


def batch(n):
    sym = torch.randint(0, V, (n, T))
    val = torch.randn(n, T)
    same = (sym.unsqueeze(2) == sym.unsqueeze(1)).float()
    target = (same @ val.unsqueeze(-1)).squeeze(-1) / same.sum(-1)  # mean over same-symbol tokens
    return sym, val, target


model = Model()
opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
sv, vv, tv = batch(256)


def val_loss():
    with torch.no_grad():
        return F.mse_loss(model(sv, vv), tv).item()


first = val_loss()
for step in range(200):
    s, v, t = batch(B)
    loss = F.mse_loss(model(s, v), t)
    opt.zero_grad()
    loss.backward()
    opt.step()
final = val_loss()
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
