# Linear calibration model: the sensor response is linear plus unit-variance measurement noise.
# Adam finds the line within a few dozen steps; after that the loss sits at the noise floor.
import torch
import torch.nn as nn

torch.manual_seed(31)
n = 1024
x = torch.randn(n, 3)
true_w = torch.tensor([[2.0], [-1.0], [0.5]])
y = x @ true_w + 0.7 + torch.randn(n, 1)

model = nn.Linear(3, 1)
opt = torch.optim.Adam(model.parameters(), lr=0.1)
for step in range(240):
    idx = torch.randint(0, 768, (128,))
    loss = nn.functional.mse_loss(model(x[idx]), y[idx])
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 40 == 0:
        print(f"step {step} mse={loss.item():.3f}")
with torch.no_grad():
    mse = nn.functional.mse_loss(model(x[768:]), y[768:]).item()
print(f"final val_mse={mse:.4f} (noise floor 1.0)")
