"""Fixed twin of three_phase_total_weight_shape.py: the total is taken as an [N, 1] column
(unsqueeze(1)), the shape of the model's output, as the thread's answer says.

Learning the total load of a three-phase meter from its three phase readings (the target
is simply their sum plus a small quadratic loss term). The readings and totals are kept in
a dict of column tensors; the total is a 1-D column [N] while the regressor outputs [N, 1],
and MSELoss broadcasts the pair to [N, N] (PyTorch prints a UserWarning, easy to miss in a
notebook).

Thread: https://discuss.pytorch.org/t/output-of-the-model-depends-on-the-shape-of-the-weights-tensor/148155
User saw: a bias-free Linear(3, 1) trained to sum three inputs "works bad and can't learn
  this simple formula" unless its weight has shape [3].
Cause (answer): the target size [1024] differs from the input size [1024, 1], so the loss
  broadcasts; fix: loss = mse(out, y.unsqueeze(1)).
"""
import torch
import torch.nn as nn

torch.manual_seed(53)
N = 1024
readings = torch.rand(N, 3)
table = {
    "phase_a": readings[:, 0],
    "phase_b": readings[:, 1],
    "phase_c": readings[:, 2],
    "total": readings.sum(1) + 0.1 * (readings ** 2).sum(1),
}
features = torch.stack([table["phase_a"], table["phase_b"], table["phase_c"]], 1)
target = table["total"].unsqueeze(1)  # [N, 1], like the output

model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))
optim = torch.optim.SGD(model.parameters(), lr=0.1)
sched = torch.optim.lr_scheduler.ReduceLROnPlateau(optim, "min", factor=0.5, patience=20)
mse = nn.MSELoss()


def true_mse():
    with torch.no_grad():
        return ((model(features).squeeze(1) - table["total"]) ** 2).mean().item()


print(f"start true mse {true_mse():.4f} (target variance {table['total'].var().item():.4f})")
for epoch in range(500):
    optim.zero_grad()
    out = model(features)
    loss = mse(out, target)
    loss.backward()
    optim.step()
    sched.step(loss)
    if epoch % 100 == 0:
        print(f"epoch {epoch} loss {loss.item():.4f} true mse {true_mse():.4f}")
m = true_mse()
print(f"end loss {loss.item():.4f} true mse {m:.4f}")
print(f"FINAL true_mse {m:.4f}")
