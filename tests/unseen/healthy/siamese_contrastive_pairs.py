# A siamese network (one shared encoder applied to both inputs) trained with the classic
# contrastive loss of Hadsell et al. on pairs: same-source pairs are pulled together,
# different-source pairs pushed beyond a margin. Task: are two noisy signatures from the
# same writer?
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(34)
WRITERS, D = 20, 24
style = torch.randn(WRITERS, D)


def signatures(w):
    return style[w] + 0.5 * torch.randn(len(w), D)


def pairs(n):
    a = torch.randint(0, WRITERS, (n,))
    same = torch.rand(n) < 0.5
    b = torch.where(same, a, (a + torch.randint(1, WRITERS, (n,))) % WRITERS)
    return signatures(a), signatures(b), same.float()


class Siamese(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(D, 64), nn.ReLU(), nn.Linear(64, 16))

    def forward(self, x1, x2):
        return F.pairwise_distance(self.encoder(x1), self.encoder(x2))


def contrastive(dist, same, margin=2.0):
    return (same * dist.pow(2) + (1 - same) * F.relu(margin - dist).pow(2)).mean() / 2


net = Siamese()
opt = torch.optim.Adam(net.parameters(), lr=2e-3)
va, vb, vs = pairs(500)


def val():
    with torch.no_grad():
        return contrastive(net(va, vb), vs).item()


first = val()
for step in range(200):
    a, b, same = pairs(64)
    loss = contrastive(net(a, b), same)
    opt.zero_grad()
    loss.backward()
    opt.step()
final = val()
with torch.no_grad():
    acc = ((net(va, vb) < 1.0).float() == vs).float().mean().item()
print(f"verification accuracy {acc:.3f}")
checksum = sum(p.detach().double().sum().item() for p in net.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
