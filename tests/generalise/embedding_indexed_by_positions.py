"""Token classifier with dict batches; the embedding is looked up with the wrong tensor."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class BagOfTokens(nn.Module):
    def __init__(self, vocab=30, d=32, classes=3):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.mlp = nn.Sequential(nn.Linear(d, 32), nn.ReLU(), nn.Linear(32, classes))

    def forward(self, input_ids):
        positions = torch.arange(input_ids.shape[1]).expand_as(input_ids)
        h = self.tok(positions).mean(1)
        return self.mlp(h)


def collate(ids, labels):
    return {"input_ids": ids, "labels": labels}


torch.manual_seed(3)
ids = torch.randint(0, 30, (900, 10))
labels = (ids < 10).sum(1).clamp(max=5).div(2, rounding_mode="floor").clamp(max=2)
loader = [collate(ids[i:i + 50], labels[i:i + 50]) for i in range(0, 750, 50)]
model = BagOfTokens()
opt = torch.optim.AdamW(model.parameters(), lr=5e-3)
for epoch in range(10):
    for batch in loader:
        logits = model(batch["input_ids"])
        loss = F.cross_entropy(logits, batch["labels"])
        opt.zero_grad()
        loss.backward()
        opt.step()
with torch.no_grad():
    acc = (model(ids[750:]).argmax(1) == labels[750:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
