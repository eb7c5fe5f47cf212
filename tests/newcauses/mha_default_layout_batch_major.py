"""Pointer task: the first token says which position to look at; the label is whether the
token found there is a high digit. Token batches are [batch, seq, embed]; nn.MultiheadAttention
keeps its default batch_first=False."""
import torch
import torch.nn as nn

torch.manual_seed(2)
T, E = 8, 32


def make(n):
    content = torch.randint(0, 10, (n, T))
    k = torch.randint(1, T, (n,))
    content[:, 0] = 10 + k
    y = (content[torch.arange(n), k] >= 5).long()
    return content, y


class PointerNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(10 + T, E)
        self.pos = nn.Parameter(0.1 * torch.randn(T, E))
        self.attn = nn.MultiheadAttention(E, num_heads=4)
        self.norm = nn.LayerNorm(E)
        self.head = nn.Sequential(nn.Linear(E, 64), nn.ReLU(), nn.Linear(64, 2))

    def forward(self, tokens):
        h = self.tok(tokens) + self.pos  # [B, T, E]
        a, _ = self.attn(h, h, h)
        h = self.norm(h + a)
        return self.head(h[:, 0])  # read out at the pointer token


x_train, y_train = make(2000)
x_test, y_test = make(500)
model = PointerNet()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(300):
    idx = torch.randint(0, len(x_train), (64,))
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x_train[idx]), y_train[idx])
    loss.backward()
    opt.step()
    if step % 50 == 0:
        print(f"step {step} loss {loss.item():.4f}")
with torch.no_grad():
    acc = (model(x_test).argmax(1) == y_test).float().mean().item()
print(f"FINAL acc {acc:.3f}")
