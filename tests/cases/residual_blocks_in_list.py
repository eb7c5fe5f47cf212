# Residual MLP whose blocks live in a plain Python list.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, width)

    def forward(self, x):
        return x + F.relu(self.fc(x))


class ResMLP(nn.Module):
    def __init__(self, width=32, depth=3):
        super().__init__()
        self.stem = nn.Linear(5, width)
        self.blocks = [Block(width) for _ in range(depth)]
        self.head = nn.Linear(width, 1)

    def forward(self, x):
        h = self.stem(x)
        for block in self.blocks:
            h = block(h)
        return self.head(h)


torch.manual_seed(35)
X = torch.randn(900, 5)
y = torch.sin(X[:, :1] * 2) + X[:, 1:2] * X[:, 2:3]
model = ResMLP()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(8):
    for i in range(0, 900, 60):
        opt.zero_grad()
        loss = F.mse_loss(model(X[i:i + 60]), y[i:i + 60])
        loss.backward()
        opt.step()
    print(epoch, loss.item())
