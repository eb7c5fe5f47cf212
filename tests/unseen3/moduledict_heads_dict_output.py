"""Multi-task model: shared trunk, an nn.ModuleDict of heads, forward returns a dict; the
losses live in a dict keyed like the heads; Adagrad."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(2)
N = 900
feats = torch.randn(N, 12)
targets = {
    "size": (feats[:, 0] * 1.5 + feats[:, 1] ** 2 - 1).unsqueeze(1),
    "kind": (feats[:, 2] + feats[:, 3] > 0).long() + (feats[:, 4] > 1).long(),
    "flag": (feats[:, 5] * feats[:, 6] > 0).float().unsqueeze(1),
}


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(12, 96), nn.SiLU(), nn.Linear(96, 96), nn.SiLU())
        self.heads = nn.ModuleDict({"size": nn.Linear(96, 1), "kind": nn.Linear(96, 3), "flag": nn.Linear(96, 1)})

    def forward(self, x):
        z = self.trunk(x)
        return {name: head(z) for name, head in self.heads.items()}


LOSSES = {"size": F.mse_loss, "kind": F.cross_entropy, "flag": F.binary_cross_entropy_with_logits}
net = Net()
opt = torch.optim.Adagrad(net.parameters(), lr=0.05)
for step in range(300):
    idx = torch.randint(0, N, (64,))
    out = net(feats[idx])
    parts = {k: LOSSES[k](out[k], targets[k][idx]) for k in out}
    loss = sum(parts.values())
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step == 0:
        print("start", {k: round(v.item(), 3) for k, v in parts.items()})
print("end", {k: round(v.item(), 3) for k, v in parts.items()})
with torch.no_grad():
    out = net(feats)
    full = sum(LOSSES[k](out[k], targets[k]) for k in out).item()
print(f"FINAL loss {full:.3f}")
