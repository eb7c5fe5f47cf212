"""Neural ODE without a library: an MLP vector field integrated with a hand-written RK4
loop; trained by backpropagating through the solver so that trajectories from random
windows of a damped spiral match the observed points."""
import torch
import torch.nn as nn

torch.manual_seed(10)
A_true = torch.tensor([[-0.1, 2.0], [-2.0, -0.1]])
T, DT = 400, 0.025


def true_f(y):
    return (y ** 3) @ A_true.T


with torch.no_grad():
    traj = [torch.tensor([2.0, 0.0])]
    for _ in range(T - 1):
        y = traj[-1]
        k1 = true_f(y); k2 = true_f(y + DT / 2 * k1); k3 = true_f(y + DT / 2 * k2); k4 = true_f(y + DT * k3)
        traj.append(y + DT / 6 * (k1 + 2 * k2 + 2 * k3 + k4))
    traj = torch.stack(traj)


class ODEFunc(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 50), nn.Tanh(), nn.Linear(50, 2))

    def forward(self, y):
        return self.net(y ** 3)


def rk4_solve(f, y0, steps):
    ys = [y0]
    y = y0
    for _ in range(steps - 1):
        k1 = f(y); k2 = f(y + DT / 2 * k1); k3 = f(y + DT / 2 * k2); k4 = f(y + DT * k3)
        y = y + DT / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        ys.append(y)
    return torch.stack(ys)  # [steps, B, 2]


func = ODEFunc()
opt = torch.optim.RMSprop(func.parameters(), lr=1e-3)
WIN, B = 10, 20
with torch.no_grad():
    print(f"start full_trajectory_l1 {(rk4_solve(func, traj[:1], T)[:, 0] - traj).abs().mean().item():.4f}")
for it in range(400):
    starts = torch.randint(0, T - WIN, (B,))
    y0 = traj[starts]
    target = torch.stack([traj[starts + k] for k in range(WIN)])
    pred = rk4_solve(func, y0, WIN)
    loss = (pred - target).abs().mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    if it == 0:
        print(f"start loss {loss.item():.4f}")
print(f"end loss {loss.item():.4f}")
with torch.no_grad():
    full = (rk4_solve(func, traj[:1], T)[:, 0] - traj).abs().mean().item()
print(f"FINAL full_trajectory_l1 {full:.4f}")
