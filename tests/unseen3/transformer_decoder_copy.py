"""Copy a token sequence with nn.TransformerDecoder (batch_first) over an embedded source as
memory, a causal mask from generate_square_subsequent_mask, and shifted decoder inputs."""
import torch
import torch.nn as nn

torch.manual_seed(10)
V, BOS, L, D = 8, 8, 5, 32


class Copier(nn.Module):
    def __init__(self):
        super().__init__()
        self.src_emb = nn.Embedding(V, D)
        self.tgt_emb = nn.Embedding(V + 1, D)
        self.pos = nn.Parameter(torch.randn(1, L, D) * 0.1)
        layer = nn.TransformerDecoderLayer(D, nhead=4, dim_feedforward=64, dropout=0.0, batch_first=True)
        self.dec = nn.TransformerDecoder(layer, num_layers=2)
        self.out = nn.Linear(D, V)

    def forward(self, src, tgt_in):
        memory = self.src_emb(src) + self.pos
        mask = nn.Transformer.generate_square_subsequent_mask(tgt_in.size(1))
        h = self.dec(self.tgt_emb(tgt_in) + self.pos, memory, tgt_mask=mask, tgt_is_causal=True)
        return self.out(h)


model = Copier()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
crit = nn.CrossEntropyLoss()
for step in range(120):
    src = torch.randint(0, V, (48, L))
    tgt_in = torch.cat([torch.full((48, 1), BOS), src[:, :-1]], 1)
    logits = model(src, tgt_in)
    loss = crit(logits.reshape(-1, V), src.reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step == 0:
        print(f"start loss {loss.item():.3f}")
print(f"end loss {loss.item():.3f}")
print(f"FINAL loss {loss.item():.3f}")
