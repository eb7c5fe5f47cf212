"""Curve fit of a damped oscillation with L-BFGS; the closure re-evaluates the loss."""
import torch
import torch.nn as nn

torch.manual_seed(11)
t = torch.linspace(0, 6, 200)[:, None]
y = torch.exp(-0.3 * t) * torch.cos(3 * t) + 0.02 * torch.randn_like(t)

model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
opt = torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=20, history_size=10,
                        line_search_fn="strong_wolfe")


def closure():
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(t), y)
    return loss


for it in range(15):
    loss = opt.step(closure)
    print(f"iter {it} mse {loss.item():.5f}")
with torch.no_grad():
    mse = nn.functional.mse_loss(model(t), y).item()
print(f"FINAL mse {mse:.5f}")
