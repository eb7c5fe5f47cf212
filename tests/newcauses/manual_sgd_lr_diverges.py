"""Two-layer network written with raw tensors and updated by hand (no torch.optim), as in the
classic tutorials; the learning rate was raised to "speed things up"."""
import torch

torch.manual_seed(14)
N, D, H = 800, 10, 64
X = torch.randn(N, D)
y = torch.tanh(X @ torch.randn(D, 1)) + 0.1 * torch.randn(N, 1)

w1 = (torch.randn(D, H) / D ** 0.5).requires_grad_()
b1 = torch.zeros(H, requires_grad=True)
w2 = (torch.randn(H, 1) / H ** 0.5).requires_grad_()
b2 = torch.zeros(1, requires_grad=True)
params = [w1, b1, w2, b2]
lr = 0.3


def forward(x):
    return torch.relu(x @ w1 + b1) @ w2 + b2


for epoch in range(30):
    for i in range(0, 600, 100):
        loss = ((forward(X[i:i + 100]) - y[i:i + 100]) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad.zero_()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    mse = ((forward(X[600:]) - y[600:]) ** 2).mean().item()
print(f"FINAL mse {mse:.4f}")
