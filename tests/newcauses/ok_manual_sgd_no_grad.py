"""Two-layer network with raw tensors and a hand-written SGD step under torch.no_grad()
(no torch.optim); gradients are cleared by setting them to None."""
import torch

torch.manual_seed(29)
N, D, H = 800, 10, 64
X = torch.randn(N, D)
y = torch.tanh(X @ torch.randn(D, 1) / 2) + 0.05 * torch.randn(N, 1)

w1 = (torch.randn(D, H) / D ** 0.5).requires_grad_()
b1 = torch.zeros(H, requires_grad=True)
w2 = (torch.randn(H, 1) / H ** 0.5).requires_grad_()
b2 = torch.zeros(1, requires_grad=True)
params = [w1, b1, w2, b2]
lr = 0.1


def forward(x):
    return torch.relu(x @ w1 + b1) @ w2 + b2


for epoch in range(30):
    for i in range(0, 600, 50):
        loss = ((forward(X[i:i + 50]) - y[i:i + 50]) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    mse = ((forward(X[600:]) - y[600:]) ** 2).mean().item()
print(f"FINAL mse {mse:.4f}")
