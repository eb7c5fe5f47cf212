"""Tiny broken programs, one per kind of evidence picture, for the report's tests: each
finding they produce must carry the pictures its rule declares."""

from tests.report.test_html import BROADCAST  # the classic [N, 1] against [N]

# A per-epoch decay stepped every batch: the learning rate is gone within the first epoch.
SCHEDULE = """
import torch, torch.nn as nn
torch.manual_seed(3)
x = torch.randn(1200, 5); y = torch.sin(x[:, :1]) + x[:, 1:2]
model = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
for epoch in range(6):
    for i in range(0, 1200, 40):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x[i:i + 40]), y[i:i + 40])
        loss.backward()
        opt.step()
        sched.step()
"""

# Twenty tanh layers initialised with a tiny spread: the gradient fades towards the input.
VANISHING = """
import torch, torch.nn as nn
torch.manual_seed(4)
layers = []
for i in range(20):
    lin = nn.Linear(6 if i == 0 else 48, 48)
    nn.init.normal_(lin.weight, std=0.02)
    layers += [lin, nn.Tanh()]
model = nn.Sequential(*layers, nn.Linear(48, 1))
x = torch.randn(800, 6); y = torch.cos(x[:, :1]) + x[:, 1:2]
opt = torch.optim.SGD(model.parameters(), lr=0.05)
for epoch in range(6):
    for i in range(0, 800, 40):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x[i:i + 40]), y[i:i + 40])
        loss.backward()
        opt.step()
"""

# Softmax inside the model and again inside cross_entropy.
DOUBLE_SOFTMAX = """
import torch, torch.nn as nn
torch.manual_seed(0)
x = torch.randn(512, 10); y = (x[:, :3].sum(1) > 0).long() + (x[:, 3] > 1).long()
model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 3), nn.Softmax(dim=1))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
for step in range(150):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
"""

PROGRAMS = {"broadcast": BROADCAST, "schedule": SCHEDULE, "vanishing": VANISHING, "double_softmax": DOUBLE_SOFTMAX}
