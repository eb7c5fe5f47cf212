"""Small CNN on synthetic 16x16 shapes (horizontal bar, vertical bar, square); the feature map
is flattened with x.view(x.size(0), -1) before the classifier."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(20)


def make(n):
    x = 0.2 * torch.randn(n, 1, 16, 16)
    y = torch.randint(0, 3, (n,))
    for i in range(n):
        r, c = torch.randint(2, 10, (2,)).tolist()
        if y[i] == 0:
            x[i, 0, r, c:c + 6] += 1.0
        elif y[i] == 1:
            x[i, 0, r:r + 6, c] += 1.0
        else:
            x[i, 0, r:r + 3, c:c + 3] += 1.0
    return x, y


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc = nn.Linear(16 * 4 * 4, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(x.view(x.size(0), -1))


x_train, y_train = make(1200)
x_test, y_test = make(300)
net = Net()
opt = torch.optim.Adam(net.parameters(), lr=3e-3)
for epoch in range(6):
    perm = torch.randperm(1200)
    for i in range(0, 1200, 64):
        idx = perm[i:i + 64]
        opt.zero_grad()
        loss = F.cross_entropy(net(x_train[idx]), y_train[idx])
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    acc = (net(x_test).argmax(1) == y_test).float().mean().item()
print(f"FINAL acc {acc:.3f}")
