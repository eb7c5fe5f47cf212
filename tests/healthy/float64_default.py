"""Scientific regression in double precision: torch.set_default_dtype(torch.float64)
before building the model; targets from an analytic function."""
import torch

torch.set_default_dtype(torch.float64)
torch.manual_seed(101)

x = torch.linspace(-1, 1, 256).unsqueeze(1)
y = 1.0 / (1.0 + 25.0 * x ** 2)                 # Runge's function
model = torch.nn.Sequential(torch.nn.Linear(1, 64), torch.nn.Softplus(), torch.nn.Linear(64, 64),
                            torch.nn.Softplus(), torch.nn.Linear(64, 1))
assert next(model.parameters()).dtype == torch.float64
opt = torch.optim.Adam(model.parameters(), lr=5e-3)
hist = []
for step in range(400):
    loss = torch.nn.functional.mse_loss(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    hist.append(loss.item())
checksum = sum(p.detach().sum().item() for p in model.parameters())
print("RESULT", repr(hist[0]), repr(hist[-1]), repr(checksum))
