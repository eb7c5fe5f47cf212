"""A TorchScript module made with torch.jit.trace early in training, then trained further
through the traced module (it shares the original parameters)."""
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

warnings.filterwarnings("ignore", category=DeprecationWarning)
torch.manual_seed(141)
model = nn.Sequential(nn.Conv1d(1, 8, 5, padding=2), nn.Tanh(), nn.Flatten(), nn.Linear(8 * 32, 3))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
X = torch.randn(300, 1, 32)
y = torch.stack([X[:, 0, :10].mean(1), X[:, 0, 10:20].mean(1), X[:, 0, 20:].mean(1)], 1).argmax(1)
runner, hist, graph_size = model, [], None
for step in range(90):
    idx = torch.arange(step * 16, step * 16 + 16) % len(X)
    loss = F.cross_entropy(runner(X[idx]), y[idx])
    opt.zero_grad()
    loss.backward()
    opt.step()
    hist.append(loss.item())
    if step == 4:
        runner = torch.jit.trace(model, X[:16])
        graph_size = len(list(runner.inlined_graph.nodes()))
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(hist[0]), repr(hist[-1]), repr(graph_size), repr(checksum))
