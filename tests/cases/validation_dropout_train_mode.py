# Early stopping on a validation loss computed with dropout still active.
import torch
import torch.nn as nn

torch.manual_seed(48)
X = torch.randn(1200, 10)
y = X[:, :3].sum(1, keepdim=True)
model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
best = float("inf")
for epoch in range(6):
    for i in range(0, 1000, 50):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(X[i:i + 50]), y[i:i + 50])
        loss.backward()
        opt.step()
    with torch.no_grad():
        val = nn.functional.mse_loss(model(X[1000:]), y[1000:]).item()
    best = min(best, val)
    print(epoch, loss.item(), val)
