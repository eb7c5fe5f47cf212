"""Classifier trained against hand-smoothed target distributions with
KLDivLoss(reduction='batchmean') on log_softmax outputs; Adadelta at lr=1.0 as in the
PyTorch MNIST example, StepLR per epoch."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(9)
N, D, C, EPS = 1000, 20, 5, 0.1
X = torch.randn(N, D)
centers = torch.randn(C, D) * 1.2
y = torch.cdist(X, centers).argmin(1)


def smooth(y):
    dist = torch.full((y.size(0), C), EPS / (C - 1))
    dist.scatter_(1, y.unsqueeze(1), 1 - EPS)
    return dist


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(D, 64)
        self.drop = nn.Dropout(0.25)
        self.fc2 = nn.Linear(64, C)

    def forward(self, x):
        return F.log_softmax(self.fc2(self.drop(F.relu(self.fc1(x)))), dim=1)


model = Net()
kl = nn.KLDivLoss(reduction="batchmean")
opt = torch.optim.Adadelta(model.parameters(), lr=1.0)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.85)
for epoch in range(8):
    model.train()
    order = torch.randperm(N)
    for s in range(0, N, 50):
        b = order[s:s + 50]
        loss = kl(model(X[b]), smooth(y[b]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if epoch == 0 and s == 0:
            print(f"start loss {loss.item():.3f}")
    sched.step()
print(f"end loss {loss.item():.3f}")
model.eval()
with torch.no_grad():
    acc = (model(X).argmax(1) == y).float().mean().item()
print(f"FINAL acc {acc:.3f}")
