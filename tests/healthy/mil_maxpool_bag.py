"""Multiple-instance learning: each bag is an unbatched set of instances [N, F];
a bag is positive when any instance is. Instance encoder + max pooling over the bag."""
import torch
import torch.nn as nn
import torch.nn.functional as F

g = torch.Generator().manual_seed(21)
torch.manual_seed(21)
FEATS = 6
key = torch.randn(FEATS, generator=g)


def make_bag():
    n = int(torch.randint(4, 12, (1,), generator=g))
    inst = torch.randn(n, FEATS, generator=g)
    label = float((inst @ key > 2.0).any())
    return inst, torch.tensor([label])


bags = [make_bag() for _ in range(100)]


class MaxMIL(nn.Module):
    def __init__(self):
        super().__init__()
        self.encode = nn.Sequential(nn.Linear(FEATS, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU())
        self.classify = nn.Linear(16, 1)

    def forward(self, bag):                      # bag: [N, F], no batch dimension
        h = self.encode(bag)
        return self.classify(h.max(dim=0).values)  # [1]


model = MaxMIL()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
epoch_losses = []
for epoch in range(6):
    total = 0.0
    for bag, label in bags:
        loss = F.binary_cross_entropy_with_logits(model(bag), label)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item()
    epoch_losses.append(total / len(bags))
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(epoch_losses[0]), repr(epoch_losses[-1]), repr(checksum))
