"""Text classification with nn.EmbeddingBag and per-sample weights, cross-entropy on logits."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(38)
VOCAB, CLASSES, LEN = 60, 3, 10
labels = torch.randint(0, CLASSES, (600,))
text = torch.randint(0, VOCAB, (600, LEN))
text[:, :4] = labels[:, None] * 20 + torch.randint(0, 20, (600, 4))
weights = torch.rand(600, LEN)


class BagModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.bag = nn.EmbeddingBag(VOCAB, 24, mode="sum")
        self.fc = nn.Linear(24, CLASSES)

    def forward(self, ids, w):
        return self.fc(self.bag(ids, per_sample_weights=w))


model = BagModel()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(6):
    for i in range(0, 480, 32):
        opt.zero_grad()
        loss = F.cross_entropy(model(text[i:i + 32], weights[i:i + 32]), labels[i:i + 32])
        loss.backward()
        opt.step()
with torch.no_grad():
    acc = (model(text[480:], weights[480:]).argmax(1) == labels[480:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
