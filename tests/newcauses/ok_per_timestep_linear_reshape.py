"""Per-timestep tagging: is this reading higher than the one before? A GRU over [B, T, F],
then the tag layer runs on the merged batch*time axis (reshape(B*T, H)) and is viewed back."""
import torch
import torch.nn as nn

torch.manual_seed(22)
T, F = 15, 1


def make(n):
    x = torch.randn(n, T, F).cumsum(1) * 0.5
    y = torch.zeros(n, T, dtype=torch.long)
    y[:, 1:] = (x[:, 1:, 0] > x[:, :-1, 0]).long()
    return x, y


class Tagger(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.rnn = nn.GRU(F, hidden, batch_first=True)
        self.tag = nn.Linear(hidden, 2)

    def forward(self, x):
        b, t, _ = x.shape
        h, _ = self.rnn(x)  # [B, T, H]
        logits = self.tag(h.reshape(b * t, -1))
        return logits.view(b, t, 2)


x_train, y_train = make(600)
x_test, y_test = make(200)
model = Tagger()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(8):
    perm = torch.randperm(600)
    for i in range(0, 600, 50):
        idx = perm[i:i + 50]
        opt.zero_grad()
        logits = model(x_train[idx])
        loss = nn.functional.cross_entropy(logits.reshape(-1, 2), y_train[idx].reshape(-1))
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    acc = (model(x_test)[:, 1:].argmax(-1) == y_test[:, 1:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
