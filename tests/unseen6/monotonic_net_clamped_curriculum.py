"""Monotonic regression network with a self-paced curriculum. The price of a used car must
not increase with mileage and age and must not decrease with engine size; the network
guarantees this by construction: those three inputs pass through layers whose weights are
projected onto the non-negative orthant after every optimizer step (p.data.clamp_(min=0)),
with the decreasing inputs negated first and monotone activations (tanh) in between, while
two free inputs (a condition score and a region code embedding) enter an unconstrained branch
that is added to the output. Training is self-paced (Kumar et al. 2010): the loss is taken
with reduction='none' and each sample's weight is 1 if its loss is below a threshold that
grows every epoch (hard, noisy samples are admitted later), with the weights computed under
no_grad. Targets are standardised log-prices. Metrics: test R^2 against the constant
prediction, and the share of test points where raising the mileage lowers the predicted
price (1.0 by construction).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(26)


def make(n):
    km = torch.rand(n) * 250          # thousands of km
    age = torch.rand(n) * 20          # years
    engine = torch.rand(n) * 3 + 1    # litres
    cond = torch.randn(n)
    region = torch.randint(0, 6, (n,))
    region_effect = torch.tensor([0.0, 0.1, -0.15, 0.2, -0.05, 0.05])
    logp = 10 - 0.004 * km - 0.6 * torch.log1p(age) + 0.35 * torch.sqrt(engine) \
        + 0.15 * torch.tanh(cond) + region_effect[region]
    outlier = torch.rand(n) < 0.05
    logp = logp + 0.08 * torch.randn(n) + outlier * torch.randn(n) * 1.0
    mono = torch.stack([-km / 100, -age / 10, engine], 1)
    return mono, cond.unsqueeze(1), region, logp


class MonotoneNet(nn.Module):
    def __init__(self, h=32):
        super().__init__()
        self.m1 = nn.Linear(3, h)
        self.m2 = nn.Linear(h, h)
        self.m3 = nn.Linear(h, 1)
        self.region = nn.Embedding(6, 4)
        self.free = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1))
        self.project()

    def project(self):
        with torch.no_grad():
            for layer in (self.m1, self.m2, self.m3):
                layer.weight.data.clamp_(min=0.0)

    def forward(self, mono, cond, region):
        h = torch.tanh(self.m1(mono))
        h = torch.tanh(self.m2(h))
        return (self.m3(h) + self.free(torch.cat([cond, self.region(region)], 1))).squeeze(1)


mono_tr, cond_tr, reg_tr, y_tr = make(6000)
mono_te, cond_te, reg_te, y_te = make(2000)
mu, sd = y_tr.mean(), y_tr.std()
t_tr, t_te = (y_tr - mu) / sd, (y_te - mu) / sd
model = MonotoneNet()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)


def evaluate():
    with torch.no_grad():
        pred = model(mono_te, cond_te, reg_te)
        r2 = 1 - F.mse_loss(pred, t_te) / t_te.var()
        more_km = mono_te.clone()
        more_km[:, 0] -= 0.5                   # +50,000 km
        lower = (model(more_km, cond_te, reg_te) <= pred + 1e-6).float().mean()
    return r2.item(), lower.item()


print("start R^2 %.3f, monotone share %.3f" % evaluate())
for epoch in range(15):
    threshold = 0.5 + 0.5 * epoch          # admit harder samples as training goes on
    perm = torch.randperm(len(t_tr))
    for i in range(0, len(perm), 128):
        b = perm[i:i + 128]
        per_sample = F.mse_loss(model(mono_tr[b], cond_tr[b], reg_tr[b]), t_tr[b], reduction="none")
        with torch.no_grad():
            w = (per_sample < threshold).float()
        loss = (w * per_sample).sum() / w.sum().clamp(min=1.0)
        opt.zero_grad()
        loss.backward()
        opt.step()
        model.project()
    r2, mono_share = evaluate()
    print(f"epoch {epoch} threshold {threshold:.1f} admitted {w.mean().item():.2f} loss {loss.item():.4f} "
          f"R^2 {r2:.3f} monotone {mono_share:.3f}")
r2, mono_share = evaluate()
print(f"FINAL test_r2 {r2:.3f} (constant 0.0) monotone_share {mono_share:.3f}")
