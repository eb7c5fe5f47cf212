"""Linear regression with weights as plain tensors and a hand-written gradient step."""
import torch

torch.manual_seed(19)
X = torch.randn(1200, 12)
w_true = torch.randn(12, 1)
y = X @ w_true + 0.3 * torch.randn(1200, 1)

w = torch.zeros(12, 1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr = 0.05
for epoch in range(10):
    for i in range(0, 1000, 50):
        loss = ((X[i:i + 50] @ w + b - y[i:i + 50]) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    mse = ((X[1000:] @ w + b - y[1000:]) ** 2).mean().item()
print(f"FINAL mse {mse:.4f}")
