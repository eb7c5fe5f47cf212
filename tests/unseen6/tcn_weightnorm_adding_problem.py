"""Temporal convolutional network (Bai, Kolter & Koltun 2018) on the adding problem: each
sequence has 40 steps with two channels, a random value in [0, 1] and a marker that is 1 at
exactly two positions; the target is the sum of the two marked values. Residual blocks of two
dilated causal convolutions (dilations 1, 2, 4, 8; left padding then no chomp needed) use
torch.nn.utils.parametrizations.weight_norm and dropout; the prediction reads the last time
step. Metric: test MSE against the constant predictor (1.0, MSE about 0.167).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import weight_norm

torch.manual_seed(5)
T = 40


def make(n):
    vals = torch.rand(n, T)
    marks = torch.zeros(n, T)
    first = torch.randint(0, T // 2, (n,))
    second = torch.randint(T // 2, T, (n,))
    marks[torch.arange(n), first] = 1.0
    marks[torch.arange(n), second] = 1.0
    x = torch.stack([vals, marks], dim=1)                     # [N, C=2, T]
    y = (vals * marks).sum(1, keepdim=True)
    return x, y


class CausalBlock(nn.Module):
    def __init__(self, c_in, c_out, dilation, k=3, p=0.1):
        super().__init__()
        self.pad = (k - 1) * dilation
        self.conv1 = weight_norm(nn.Conv1d(c_in, c_out, k, dilation=dilation))
        self.conv2 = weight_norm(nn.Conv1d(c_out, c_out, k, dilation=dilation))
        self.drop = nn.Dropout(p)
        self.skip = nn.Conv1d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x):
        h = self.drop(F.relu(self.conv1(F.pad(x, (self.pad, 0)))))
        h = self.drop(F.relu(self.conv2(F.pad(h, (self.pad, 0)))))
        return F.relu(h + self.skip(x))


class TCN(nn.Module):
    def __init__(self, ch=20):
        super().__init__()
        layers, c = [], 2
        for d in (1, 2, 4, 8):
            layers.append(CausalBlock(c, ch, d))
            c = ch
        self.blocks = nn.Sequential(*layers)
        self.head = nn.Linear(ch, 1)

    def forward(self, x):
        return self.head(self.blocks(x)[:, :, -1])


x_tr, y_tr = make(5000)
x_te, y_te = make(2000)
model = TCN()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
const = F.mse_loss(torch.full_like(y_te, y_tr.mean().item()), y_te).item()


@torch.no_grad()
def test_mse():
    model.eval()
    out = F.mse_loss(model(x_te), y_te).item()
    model.train()
    return out


print(f"constant predictor mse {const:.4f}; start test mse {test_mse():.4f}")
for epoch in range(8):
    perm = torch.randperm(len(x_tr))
    for i in range(0, len(perm), 64):
        b = perm[i:i + 64]
        loss = F.mse_loss(model(x_tr[b]), y_tr[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch} train {loss.item():.4f} test {test_mse():.4f}")
print(f"FINAL test_mse {test_mse():.4f} (constant {const:.4f})")
