"""Sequence classification with a GRU; batches come from a generator over variable-phase signals."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class GRUClassifier(nn.Module):
    def __init__(self, n_features, hidden, n_classes, num_layers=1):
        super().__init__()
        self.hidden, self.num_layers = hidden, num_layers
        self.gru = nn.GRU(n_features, hidden, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, x):
        h0 = torch.zeros(self.num_layers, x.size(0), self.hidden)
        out, hn = self.gru(x, h0)
        return self.head(h0[-1])


def sequences(n, length, gen):
    """Class 0: rising ramp, class 1: falling ramp, class 2: oscillation; all noisy."""
    t = torch.linspace(0, 1, length)
    y = torch.randint(0, 3, (n,), generator=gen)
    base = torch.stack([t, 1 - t, 0.5 + 0.5 * torch.sin(12 * t)])
    x = base[y] + 0.3 * torch.randn(n, length, generator=gen)
    return x.unsqueeze(-1), y


def batch_stream(X, y, batch_size, epochs, gen):
    for _ in range(epochs):
        perm = torch.randperm(len(X), generator=gen)
        for i in range(0, len(X), batch_size):
            yield X[perm[i:i + batch_size]], y[perm[i:i + batch_size]]


gen = torch.Generator().manual_seed(29)
torch.manual_seed(29)
X, y = sequences(900, 20, gen)
model = GRUClassifier(1, 32, 3)
opt = torch.optim.Adam(model.parameters(), lr=5e-3)
for step, (xb, yb) in enumerate(batch_stream(X[:700], y[:700], 32, 6, gen)):
    loss = F.cross_entropy(model(xb), yb)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 40 == 0:
        print(f"step {step} loss {loss.item():.4f}")
with torch.no_grad():
    acc = (model(X[700:]).argmax(1) == y[700:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
