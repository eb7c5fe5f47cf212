"""Click-through-rate model over an IterableDataset that reads ad-impression logs in shards."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, IterableDataset


def make_log(n, seed):
    """Per-ad daily log: impressions, clicks of the previous day, spend, position; label: clicked today."""
    g = torch.Generator().manual_seed(seed)
    quality = torch.randn(n, generator=g)
    impressions = torch.poisson(torch.full((n,), 3.0), generator=g)   # some ads were not shown yesterday
    clicks = torch.binomial(impressions, torch.sigmoid(quality - 1.5), generator=g)
    spend = torch.rand(n, generator=g) * 5
    position = torch.randint(1, 6, (n,), generator=g).float()
    clicked = (quality - 0.3 * position + 0.2 * spend + 0.5 * torch.randn(n, generator=g) > -0.5).float()
    return impressions, clicks, spend, position, clicked


class AdLogShards(IterableDataset):
    def __init__(self, shards, shard_size):
        self.shards, self.shard_size = shards, shard_size

    def __iter__(self):
        for seed in self.shards:
            impressions, clicks, spend, position, clicked = make_log(self.shard_size, seed)
            ctr = clicks / impressions                       # yesterday's click-through rate
            features = torch.stack([ctr, torch.log1p(impressions), spend / 5, position / 5], 1)
            yield from zip(features, clicked)


torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(4):
    for x, y in DataLoader(AdLogShards(shards=range(6), shard_size=400), batch_size=64):
        loss = F.binary_cross_entropy_with_logits(model(x).squeeze(1), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")

correct = total = 0
with torch.no_grad():
    for x, y in DataLoader(AdLogShards(shards=[100], shard_size=600), batch_size=200):
        correct += ((model(x).squeeze(1) > 0).float() == y).sum().item()
        total += len(y)
print(f"FINAL acc {correct / total:.3f}")
