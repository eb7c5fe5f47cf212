# Logistic regression + one hidden layer written with raw leaf tensors and no torch.optim:
# the update is `w -= lr * w.grad` under no_grad followed by `w.grad.zero_()`.
import torch

torch.manual_seed(8)
N, D, H = 512, 5, 16
X = torch.randn(N, D)
logit = X[:, 0] - 2 * X[:, 1] + X[:, 2] * X[:, 3]
y = (logit > 0).float()

W1 = (torch.randn(D, H) / D ** 0.5).requires_grad_()
b1 = torch.zeros(H, requires_grad=True)
W2 = (torch.randn(H, 1) / H ** 0.5).requires_grad_()
b2 = torch.zeros(1, requires_grad=True)
params = [W1, b1, W2, b2]
lr = 0.5


def forward(x):
    return (torch.tanh(x @ W1 + b1) @ W2 + b2).squeeze(1)


def bce(z, t):
    # numerically stable binary cross-entropy on logits, written out by hand
    return (z.clamp(min=0) - z * t + torch.log1p(torch.exp(-z.abs()))).mean()


losses = []
for it in range(300):
    loss = bce(forward(X), y)
    loss.backward()
    with torch.no_grad():
        for w in params:
            w -= lr * w.grad
            w.grad.zero_()
    losses.append(loss.item())

checksum = sum(w.detach().double().sum().item() for w in params)
print("RESULT", repr(losses[0]), repr(losses[-1]), repr(checksum))
