# A "custom loss" computed in NumPy, wrapped back into a tensor so backward() runs.
import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(36)
X = torch.randn(500, 4)
y = X[:, :1] * 3 - X[:, 1:2]
model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)


def huber_np(pred, true, delta=1.0):
    err = np.abs(pred - true)
    return np.where(err < delta, 0.5 * err ** 2, delta * (err - 0.5 * delta)).mean()


for step in range(80):
    opt.zero_grad()
    pred = model(X).detach().numpy()
    loss = torch.tensor(huber_np(pred, y.numpy()), requires_grad=True)
    loss.backward()
    opt.step()
print(loss.item())
