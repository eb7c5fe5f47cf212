"""Multiple-instance learning: each bag is an unbatched [N, F] set, attention- and max-pooled."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class BagClassifier(nn.Module):
    def __init__(self, f=6, d=32):
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(f, d), nn.ReLU())
        self.score = nn.Linear(d, 1)
        self.head = nn.Linear(2 * d, 1)

    def forward(self, bag):  # bag: [N, F], one set, no batch axis
        h = self.embed(bag)
        weights = torch.softmax(self.score(h), dim=0)  # attention over the instances
        pooled = torch.cat([(weights * h).sum(0), h.max(0).values])
        return self.head(pooled)  # [1]


torch.manual_seed(34)
bags, labels = [], []
for _ in range(240):
    n = torch.randint(5, 15, ()).item()
    bag = torch.randn(n, 6)
    positive = torch.rand(()) < 0.5
    if positive:
        bag[torch.randint(0, n, ())] += torch.tensor([3.0, 0, 0, 3.0, 0, 0])
    bags.append(bag)
    labels.append(torch.tensor([float(positive)]))
model = BagClassifier()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(3):
    for bag, label in zip(bags[:200], labels[:200]):
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(bag), label)
        loss.backward()
        opt.step()
with torch.no_grad():
    acc = sum(float((model(b) > 0).float() == l) for b, l in zip(bags[200:], labels[200:])) / 40
print(f"FINAL acc {acc:.3f}")
