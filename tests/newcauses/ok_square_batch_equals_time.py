"""Square batches: 16 sequences of 16 steps, so batch and time have the same size; the LSTM is
batch_first=True and gets [B, T, F]. Task: is the noisy sequence trending up or down?"""
import torch
import torch.nn as nn

torch.manual_seed(28)
B = T = 16


def make(n):
    y = torch.randint(0, 2, (n,))
    slope = (2 * y - 1).float()[:, None] * (0.05 + 0.1 * torch.rand(n, 1))
    x = torch.randn(n, T, 2)
    x[:, :, 0] += slope * torch.arange(T).float()
    return x, y


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(2, 32, batch_first=True)
        self.head = nn.Linear(32, 2)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return self.head(h[-1])


x_train, y_train = make(640)
x_test, y_test = make(320)
model = Net()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(8):
    perm = torch.randperm(640)
    for i in range(0, 640, B):
        idx = perm[i:i + B]
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x_train[idx]), y_train[idx])
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    correct = sum((model(x_test[i:i + B]).argmax(1) == y_test[i:i + B]).sum().item()
                  for i in range(0, 320, B))
print(f"FINAL acc {correct / 320:.3f}")
