"""The "simple layer" example: a single linear layer fitted to two input/target pairs with SGD,
loop without optimizer.zero_grad().

Thread: https://github.com/IBM/aihwkit/issues/446
User saw: over 10 iterations the loss decreases, then increases again (1.03 -> 0.06 -> 0.87).
Cause (thread, confirmed by the maintainer): the examples are missing opt.zero_grad() at each
  iteration, so gradients accumulate.
Fix (thread): call opt.zero_grad() after each opt.step().
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(10)
x = torch.tensor([[0.1, 0.2, 0.4, 0.3], [0.2, 0.1, 0.1, 0.3]])
y = torch.tensor([[1.0, 0.5], [0.7, 0.3]])

model = nn.Linear(4, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)

for epoch in range(100):
    pred = model(x)
    loss = F.mse_loss(pred, y)
    loss.backward()
    opt.step()
    if epoch % 10 == 0:
        print(f"Loss error: {loss.item():.16f}")
print(f"FINAL mse {F.mse_loss(model(x), y).item():.5f}")
