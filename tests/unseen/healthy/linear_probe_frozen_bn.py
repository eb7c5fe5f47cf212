# Linear probe: a backbone is first pre-trained on an auxiliary task, then frozen with
# `p.requires_grad = False` and kept in eval() so its BatchNorm statistics stay fixed; only a
# new linear head is trained on the downstream labels (optimizer over the head alone).
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(4)


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(20, 64), nn.BatchNorm1d(64), nn.ReLU(),
                                 nn.Linear(64, 32), nn.BatchNorm1d(32), nn.ReLU())

    def forward(self, x):
        return self.net(x)


X = torch.randn(600, 20)
proj = torch.randn(20, 5)
latent = X @ proj
aux_target = latent.tanh()                       # pre-training task: regress 5 features
labels = (latent[:, 0] + latent[:, 1] > 0).long() + (latent[:, 2] > 1).long()  # 3 classes

backbone = Backbone()
aux_head = nn.Linear(32, 5)
pre_opt = torch.optim.Adam(list(backbone.parameters()) + list(aux_head.parameters()), lr=3e-3)
backbone.train()
for epoch in range(4):
    for xb, tb in zip(X[:500].split(50), aux_target[:500].split(50)):
        pre_opt.zero_grad()
        F.mse_loss(aux_head(backbone(xb)), tb).backward()
        pre_opt.step()

# --- probe ---
for p in backbone.parameters():
    p.requires_grad = False
backbone.eval()
head = nn.Linear(32, 3)
opt = torch.optim.SGD(head.parameters(), lr=0.1, momentum=0.9)


def test_loss():
    with torch.no_grad():
        return F.cross_entropy(head(backbone(X[500:])), labels[500:]).item()


first = test_loss()
for epoch in range(8):
    perm = torch.randperm(500)
    for i in range(0, 500, 50):
        idx = perm[i:i + 50]
        logits = head(backbone(X[idx]))
        loss = F.cross_entropy(logits, labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
final = test_loss()
checksum = sum(p.double().sum().item() for p in head.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
