"""Train, save the whole model object with torch.save (pickled), the optimizer and the
scheduler, load everything back with torch.load(weights_only=False) and resume."""
import os
import tempfile

import torch
import torch.nn as nn


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 32), nn.Tanh(), nn.Linear(32, 1))

    def forward(self, x):
        return self.body(x)


def train(model, opt, sched, X, y, epochs):
    out = []
    for _ in range(epochs):
        for xb, yb in zip(X.split(32), y.split(32)):
            loss = nn.functional.smooth_l1_loss(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            out.append(loss.item())
        sched.step()
    return out


torch.manual_seed(41)
X = torch.randn(320, 4)
y = X @ torch.tensor([[1.0], [-2.0], [0.5], [0.0]]) + 0.3
model = Regressor()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
history = train(model, opt, sched, X, y, 4)

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "ckpt.pt")
    torch.save({"model": model, "opt": opt.state_dict(), "sched": sched.state_dict(),
                "rng": torch.get_rng_state()}, path)
    del model, opt, sched
    ckpt = torch.load(path, weights_only=False)

model = ckpt["model"]
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
opt.load_state_dict(ckpt["opt"])
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
sched.load_state_dict(ckpt["sched"])
torch.set_rng_state(ckpt["rng"])
history += train(model, opt, sched, X, y, 4)
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(history[0]), repr(history[-1]), repr(checksum))
