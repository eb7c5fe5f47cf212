# Feature capture with forward hooks (as in perceptual losses and deep supervision):
# an auxiliary loss on a hooked hidden layer, and a hook counting calls.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(191)
model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 3))
aux_head = nn.Linear(64, 3)
captured = {}
calls = {"n": 0}


def keep(name):
    def hook(module, inputs, output):
        captured[name] = output
        calls["n"] += 1
    return hook


handles = [model[1].register_forward_hook(keep("hidden")),
           model[3].register_forward_pre_hook(lambda m, inp: calls.__setitem__("n", calls["n"] + 1))]
opt = torch.optim.Adam(list(model.parameters()) + list(aux_head.parameters()), lr=3e-3)
X = torch.randn(480, 10)
y = (X[:, :3] + 0.2 * X[:, 3:6]).argmax(1)
hist = []
for epoch in range(6):
    for xb, yb in zip(X.split(48), y.split(48)):
        out = model(xb)
        loss = F.cross_entropy(out, yb) + 0.3 * F.cross_entropy(aux_head(captured["hidden"]), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        hist.append(loss.item())
for h in handles:
    h.remove()
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(hist[0]), repr(hist[-1]), repr(calls["n"]), repr(checksum))
