"""Predict the count of tokens equal to the first token, with an
nn.TransformerEncoder built batch_first=True over [batch, seq, d_model]."""
import torch
import torch.nn as nn

torch.manual_seed(35)
T, V, D = 10, 5, 32


def make(n):
    x = torch.randint(0, V, (n, T))
    y = (x[:, 1:] == x[:, :1]).sum(1).float()[:, None]
    return x, y


class Counter(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, D)
        self.pos = nn.Embedding(T, D)
        layer = nn.TransformerEncoderLayer(D, nhead=4, dim_feedforward=64, dropout=0.0,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=1)
        self.out = nn.Linear(D, 1)

    def forward(self, tokens):
        h = self.emb(tokens) + self.pos(torch.arange(tokens.shape[1]))
        return self.out(self.encoder(h)[:, 0])


x_train, y_train = make(1500)
x_test, y_test = make(400)
mean, std = y_train.mean(), y_train.std()
model = Counter()
opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
for epoch in range(8):
    perm = torch.randperm(1500)
    for i in range(0, 1500, 50):
        idx = perm[i:i + 50]
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x_train[idx]), (y_train[idx] - mean) / std)
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
model.eval()
with torch.no_grad():
    mse = nn.functional.mse_loss(model(x_test) * std + mean, y_test).item()
print(f"target variance {y_test.var().item():.3f}")
print(f"FINAL mse {mse:.4f}")
