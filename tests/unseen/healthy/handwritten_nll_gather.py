# Multinomial classification with a hand-written negative log-likelihood:
# `-log_softmax(logits, 1)[arange(N), y].mean()`, the accuracy tracked alongside.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(20)
K, D = 5, 8
means = torch.randn(K, D) * 1.2
y = torch.randint(0, K, (1000,))
X = means[y] + torch.randn(1000, D)


def nll(logits, target):
    n = logits.shape[0]
    return -F.log_softmax(logits, 1)[torch.arange(n), target].mean()


model = nn.Sequential(nn.Linear(D, 32), nn.ReLU(), nn.Linear(32, K))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
Xtr, ytr, Xte, yte = X[:800], y[:800], X[800:], y[800:]


def test():
    with torch.no_grad():
        logits = model(Xte)
        return nll(logits, yte).item(), (logits.argmax(1) == yte).float().mean().item()


first, _ = test()
for epoch in range(20):
    for b in torch.randperm(800).split(50):
        loss = nll(model(Xtr[b]), ytr[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
final, acc = test()
print(f"test accuracy {acc:.3f}")
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
