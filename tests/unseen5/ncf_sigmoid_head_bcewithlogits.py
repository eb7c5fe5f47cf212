"""Neural collaborative filtering (GMF and MLP towers fused by a linear layer) for
click-through prediction on sampled (user, item, clicked) rows. The model's forward ends in
torch.sigmoid, as in the recommender library it was copied from, and the trainer uses
nn.BCEWithLogitsLoss, which applies the sigmoid again; the predicted click probability the
service reports is sigmoid(output).

Thread: https://github.com/yudi-mars/daisyRec/pull/15
Cause (PR, merged): "Do not need sigmoid because there is sigmoid in BCEWithLogitsLoss.
  Otherwise loss does not converge."
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(59)
U, I, K = 400, 300, 8
pu, qi = torch.randn(U, K), torch.randn(I, K)
item_pop = torch.randn(I)


def sample(n):
    u = torch.randint(0, U, (n,))
    i = torch.randint(0, I, (n,))
    logit = (pu[u] * qi[i]).sum(1) / 1.5 + item_pop[i] - 0.5
    return u, i, torch.bernoulli(torch.sigmoid(logit))


class NeuMF(nn.Module):
    def __init__(self, d=16):
        super().__init__()
        self.u_gmf, self.i_gmf = nn.Embedding(U, d), nn.Embedding(I, d)
        self.u_mlp, self.i_mlp = nn.Embedding(U, d), nn.Embedding(I, d)
        self.mlp = nn.Sequential(nn.Linear(2 * d, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU())
        self.predict = nn.Linear(d + 16, 1)
        for e in (self.u_gmf, self.i_gmf, self.u_mlp, self.i_mlp):
            nn.init.normal_(e.weight, std=0.1)

    def forward(self, u, i):
        gmf = self.u_gmf(u) * self.i_gmf(i)
        mlp = self.mlp(torch.cat([self.u_mlp(u), self.i_mlp(i)], 1))
        out = self.predict(torch.cat([gmf, mlp], 1)).squeeze(1)
        return torch.sigmoid(out)  # BUG: the loss below applies the sigmoid itself


u_tr, i_tr, y_tr = sample(60000)
u_te, i_te, y_te = sample(10000)
model = NeuMF()
criterion = nn.BCEWithLogitsLoss()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)


@torch.no_grad()
def evaluate():
    p = torch.sigmoid(model(u_te, i_te))  # the click probability, as the trainer's loss defines it
    logloss = F.binary_cross_entropy(p.clamp(1e-6, 1 - 1e-6), y_te).item()
    acc = ((p > 0.5).float() == y_te).float().mean().item()
    return logloss, acc


base = y_tr.mean()
print(f"click rate {base.item():.3f}; constant-rate logloss {F.binary_cross_entropy(base.expand_as(y_te), y_te).item():.4f}")
ll, acc = evaluate()
print(f"start test logloss {ll:.4f} acc {acc:.3f}")
for epoch in range(6):
    perm = torch.randperm(len(u_tr))
    for s in range(0, len(u_tr), 1024):
        b = perm[s:s + 1024]
        loss = criterion(model(u_tr[b], i_tr[b]), y_tr[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
    ll, acc = evaluate()
    print(f"epoch {epoch} train loss {loss.item():.4f} test logloss {ll:.4f} acc {acc:.3f}")
print(f"end test logloss {ll:.4f} acc {acc:.3f}")
print(f"FINAL test_logloss {ll:.4f}")
