"""Regression MLP updated with a hand-rolled SGD step on .data (an old forum idiom)."""
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 48)
        self.fc2 = nn.Linear(48, 48)
        self.fc3 = nn.Linear(48, 1)

    def forward(self, x):
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


def sgd_step(model, lr):
    for p in model.parameters():
        if p.grad is not None:
            p.data.sub_(lr * p.grad)


torch.manual_seed(15)
X = torch.randn(900, 6)
y = (X[:, :3].sum(1, keepdim=True) - X[:, 3:4] * X[:, 4:5]) / 2
net = Net()
LEARNING_RATE = 0.6
for epoch in range(25):
    perm = torch.randperm(700)
    for i in range(0, 700, 70):
        idx = perm[i:i + 70]
        net.zero_grad()
        loss = nn.functional.mse_loss(net(X[idx]), y[idx])
        loss.backward()
        sgd_step(net, LEARNING_RATE)
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    mse = nn.functional.mse_loss(net(X[700:]), y[700:]).item()
print(f"FINAL mse {mse:.4f}")
