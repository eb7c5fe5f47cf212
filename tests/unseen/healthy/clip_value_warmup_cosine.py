# A Trainer object with linear warmup + cosine decay written as a LambdaLR over optimizer
# steps (stepped once per batch), gradient clipping by value with clip_grad_value_, and a
# small residual MLP with LayerNorm.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(31)


class ResBlock(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))

    def forward(self, x):
        return x + self.ff(self.norm(x))


class Trainer:
    def __init__(self, model, total_steps, warmup=30, lr=3e-3, clip=0.5):
        self.model, self.clip = model, clip
        self.opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)

        def lr_lambda(step):
            if step < warmup:
                return (step + 1) / warmup
            progress = (step - warmup) / max(1, total_steps - warmup)
            return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress))

        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, lr_lambda)

    def train_step(self, xb, yb):
        self.model.train()
        loss = F.mse_loss(self.model(xb), yb)
        self.opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_value_(self.model.parameters(), self.clip)
        self.opt.step()
        self.sched.step()
        return loss.item()

    @torch.no_grad()
    def evaluate(self, x, y):
        self.model.eval()
        return F.mse_loss(self.model(x), y).item()


X = torch.randn(800, 8)
y = (X[:, :4].prod(1, keepdim=True)).tanh() + X[:, 4:5].sin() + 0.05 * torch.randn(800, 1)
model = nn.Sequential(nn.Linear(8, 32), ResBlock(32), ResBlock(32), nn.Linear(32, 1))
epochs, bs = 10, 64
trainer = Trainer(model, total_steps=epochs * (640 // bs))
first = trainer.evaluate(X[640:], y[640:])
for epoch in range(epochs):
    for b in torch.randperm(640).split(bs):
        trainer.train_step(X[b], y[b])
final = trainer.evaluate(X[640:], y[640:])
print("last lr", trainer.sched.get_last_lr())
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
