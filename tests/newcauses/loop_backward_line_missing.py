"""Wine-quality style regression with a small MLP; the usual loop, tidied up during a refactor."""
import torch
import torch.nn as nn

torch.manual_seed(9)
X = torch.randn(1000, 8)
w_true = torch.randn(8, 1)
y = X @ w_true + 0.5 * torch.sin(2 * X[:, :1]) + 0.1 * torch.randn(1000, 1)
x_train, y_train, x_val, y_val = X[:800], y[:800], X[800:], y[800:]

model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
criterion = nn.MSELoss()
for epoch in range(20):
    perm = torch.randperm(800)
    running = 0.0
    for i in range(0, 800, 50):
        idx = perm[i:i + 50]
        optimizer.zero_grad()
        loss = criterion(model(x_train[idx]), y_train[idx])
        optimizer.step()
        running += loss.item()
    print(f"epoch {epoch} train mse {running / 16:.4f}")
with torch.no_grad():
    mse = criterion(model(x_val), y_val).item()
print(f"FINAL mse {mse:.4f}")
