# Token classifier with embeddings, a Transformer encoder layer, dropout and LayerNorm.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(43)
V, T, N = 50, 12, 640
tokens = torch.randint(0, V, (N, T))
labels = torch.bucketize((tokens < V // 2).sum(1), torch.tensor([4, 5, 6]))  # 4 classes by count
loader = DataLoader(TensorDataset(tokens, labels), batch_size=32, shuffle=True)


class Classifier(nn.Module):
    def __init__(self, d=32):
        super().__init__()
        self.embed = nn.Embedding(V, d)
        self.pos = nn.Parameter(torch.zeros(1, T, d))
        self.encoder = nn.TransformerEncoderLayer(d, nhead=4, dim_feedforward=64, dropout=0.1, batch_first=True)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, 4)

    def forward(self, x):
        h = self.encoder(self.embed(x) + self.pos)
        return self.head(self.norm(h.mean(1)))


model = Classifier()
opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
for epoch in range(8):
    model.train()
    for xb, yb in loader:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
    print(epoch, loss.item())
