# LoRA fine-tuning: a pretrained (here: briefly trained) MLP is frozen and low-rank
# adapters (A random, B zero) are trained on a shifted task.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(55)


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, rank=4, alpha=8.0):
        super().__init__()
        self.base = base
        for p in self.base.parameters():
            p.requires_grad = False
        self.A = nn.Parameter(torch.empty(rank, base.in_features))
        self.B = nn.Parameter(torch.zeros(base.out_features, rank))
        nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))
        self.scale = alpha / rank

    def forward(self, x):
        return self.base(x) + F.linear(F.linear(x, self.A), self.B) * self.scale


def fit(model, params, X, y, steps, lr):
    opt = torch.optim.Adam(params, lr=lr)
    out = []
    for i in range(steps):
        idx = torch.randint(0, len(X), (64,))
        loss = F.cross_entropy(model(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        out.append(loss.item())
    return out


X = torch.randn(1000, 16)
W_old, W_new = torch.randn(16, 5), torch.randn(16, 5)
y_old, y_new = (X @ W_old).argmax(1), (X @ (W_old + 0.7 * W_new)).argmax(1)
base = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 5))
fit(base, base.parameters(), X, y_old, 150, 3e-3)

model = nn.Sequential(*[LoRALinear(m) if isinstance(m, nn.Linear) else m for m in base])
lora_params = [p for p in model.parameters() if p.requires_grad]
history = fit(model, lora_params, X, y_new, 200, 5e-3)
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(history[0]), repr(history[-1]), repr(checksum))
