# Sequence tagging with nn.TransformerEncoder: key padding masks, ignore_index=-100 on
# padded positions, label smoothing, linear warm-up via LambdaLR, gradient accumulation.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(251)
VOCAB, D, PAD = 20, 32, 0


def batch(n=16):
    lengths = torch.randint(4, 13, (n,))
    toks = torch.randint(1, VOCAB, (n, 12))
    pad = torch.arange(12)[None, :] >= lengths[:, None]
    toks[pad] = PAD
    tags = (toks > toks.roll(1, dims=1)).long()   # does the token increase?
    tags[pad] = -100
    return toks, tags, pad


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, D, padding_idx=PAD)
        self.pos = nn.Parameter(torch.randn(12, D) * 0.02)
        layer = nn.TransformerEncoderLayer(D, nhead=4, dim_feedforward=64, dropout=0.1, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.out = nn.Linear(D, 2)

    def forward(self, toks, pad):
        return self.out(self.enc(self.emb(toks) + self.pos, src_key_padding_mask=pad))


model = Tagger()
opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
warmup = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 10))
ACCUM = 2
hist = []
for step in range(120):
    toks, tags, pad = batch()
    loss = F.cross_entropy(model(toks, pad).reshape(-1, 2), tags.reshape(-1), ignore_index=-100,
                           label_smoothing=0.1)
    (loss / ACCUM).backward()
    if (step + 1) % ACCUM == 0:
        opt.step()
        opt.zero_grad()
        warmup.step()
    hist.append(loss.item())
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(sum(hist[:10]) / 10), repr(sum(hist[-10:]) / 10), repr(checksum))
