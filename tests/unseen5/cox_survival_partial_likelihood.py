"""Survival analysis with a neural Cox proportional-hazards model: event times are drawn
from an exponential distribution whose hazard is exp(f(x)), about half of them are right-
censored; an MLP gives the log-risk and the loss is the negative Breslow partial likelihood
(samples sorted by time, risk-set sums by logcumsumexp, only events contribute). Reports
Harrell's concordance index on held-out patients."""
import torch
import torch.nn as nn

torch.manual_seed(13)
D = 8


def true_log_hazard(x):
    return 1.2 * x[:, 0] - 0.8 * x[:, 1] ** 2 + 0.6 * x[:, 2] * x[:, 3]


def make(n):
    x = torch.randn(n, D)
    t_event = torch.distributions.Exponential(torch.exp(true_log_hazard(x))).sample()
    t_cens = torch.distributions.Exponential(torch.full((n,), 0.4)).sample()
    time = torch.minimum(t_event, t_cens)
    event = (t_event <= t_cens).float()
    return x, time, event


def cox_loss(log_risk, time, event):
    order = torch.argsort(time, descending=True)
    lr, ev = log_risk[order], event[order]
    log_risk_set = torch.logcumsumexp(lr, dim=0)
    return -((lr - log_risk_set) * ev).sum() / ev.sum().clamp(min=1)


@torch.no_grad()
def concordance(risk, time, event):
    comparable = (time[:, None] < time[None, :]) & (event[:, None] == 1)
    concordant = (risk[:, None] > risk[None, :]).float() + 0.5 * (risk[:, None] == risk[None, :]).float()
    return (concordant * comparable).sum().item() / comparable.sum().item()


x_tr, t_tr, e_tr = make(1500)
x_te, t_te, e_te = make(600)
print(f"event rate {e_tr.mean().item():.2f}")
model = nn.Sequential(nn.Linear(D, 64), nn.SELU(), nn.Linear(64, 32), nn.SELU(), nn.Linear(32, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
c0 = concordance(model(x_te).squeeze(1), t_te, e_te)
print(f"start c-index {c0:.3f} (oracle {concordance(true_log_hazard(x_te), t_te, e_te):.3f})")
for epoch in range(30):
    perm = torch.randperm(len(x_tr))
    for i in range(0, len(x_tr), 250):
        idx = perm[i:i + 250]
        loss = cox_loss(model(x_tr[idx]).squeeze(1), t_tr[idx], e_tr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    if epoch % 6 == 0:
        print(f"epoch {epoch} neg partial ll {loss.item():.3f}")
c = concordance(model(x_te).squeeze(1), t_te, e_te)
print(f"end neg partial ll {loss.item():.3f} c-index {c:.3f}")
print(f"FINAL c_index {c:.3f}")
