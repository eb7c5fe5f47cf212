"""nn.MultiheadAttention with batch_first=True on [batch, seq, embed] tokens, with a key
padding mask for variable lengths. Task: pointer - the first token names a position, the
label is whether the digit there is high."""
import torch
import torch.nn as nn

torch.manual_seed(26)
T, E = 10, 32


def make(n):
    tokens = torch.randint(0, 10, (n, T))
    lengths = torch.randint(5, T + 1, (n,))
    k = (torch.rand(n) * (lengths - 1)).long() + 1
    tokens[:, 0] = 10 + k
    pad = torch.arange(T)[None, :] >= lengths[:, None]
    tokens[pad] = 10 + T
    y = (tokens[torch.arange(n), k] >= 5).long()
    return tokens, pad, y


class PointerNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(11 + T, E)
        self.pos = nn.Parameter(0.1 * torch.randn(T, E))
        self.attn = nn.MultiheadAttention(E, num_heads=4, batch_first=True)
        self.norm = nn.LayerNorm(E)
        self.head = nn.Sequential(nn.Linear(E, 64), nn.ReLU(), nn.Linear(64, 2))

    def forward(self, tokens, pad):
        h = self.tok(tokens) + self.pos
        a, _ = self.attn(h, h, h, key_padding_mask=pad)
        return self.head(self.norm(h + a)[:, 0])


x_train, pad_train, y_train = make(2000)
x_test, pad_test, y_test = make(500)
model = PointerNet()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(250):
    idx = torch.randint(0, 2000, (64,))
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x_train[idx], pad_train[idx]), y_train[idx])
    loss.backward()
    opt.step()
    if step % 50 == 0:
        print(f"step {step} loss {loss.item():.4f}")
with torch.no_grad():
    acc = (model(x_test, pad_test).argmax(1) == y_test).float().mean().item()
print(f"FINAL acc {acc:.3f}")
