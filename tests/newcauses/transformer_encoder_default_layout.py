"""Does the first token come back later in the sequence? A small Transformer encoder over
[batch, seq, d_model] token batches; the encoder layer is built with the default layout."""
import torch
import torch.nn as nn

torch.manual_seed(4)
T, V, D = 8, 10, 32


def make(n):
    x = torch.empty(n, T, dtype=torch.long)
    y = torch.randint(0, 2, (n,))
    for i in range(n):
        first = torch.randint(0, V, ()).item()
        others = torch.tensor([v for v in range(V) if v != first])
        rest = others[torch.randint(0, V - 1, (T - 1,))]
        if y[i]:
            rest[torch.randint(0, T - 1, ()).item()] = first
        x[i, 0], x[i, 1:] = first, rest
    return x, y


class RepeatDetector(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, D)
        self.pos = nn.Embedding(T, D)
        layer = nn.TransformerEncoderLayer(D, nhead=4, dim_feedforward=64, dropout=0.0)
        self.encoder = nn.TransformerEncoder(layer, num_layers=1, enable_nested_tensor=False)
        self.cls = nn.Linear(D, 2)

    def forward(self, tokens):
        h = self.emb(tokens) + self.pos(torch.arange(tokens.shape[1]))
        h = self.encoder(h)
        return self.cls(h[:, 0])


x_train, y_train = make(1500)
x_test, y_test = make(400)
model = RepeatDetector()
opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
for epoch in range(8):
    perm = torch.randperm(len(x_train))
    for i in range(0, len(x_train), 50):
        idx = perm[i:i + 50]
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x_train[idx]), y_train[idx])
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
model.eval()
with torch.no_grad():
    acc = (model(x_test).argmax(1) == y_test).float().mean().item()
print(f"FINAL acc {acc:.3f}")
