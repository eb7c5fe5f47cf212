# Training loop that exports a deployable snapshot with torch.export every few epochs and
# checks the exported program against the eager model on a validation batch.
import torch
import torch.nn as nn

torch.manual_seed(131)


class Scorer(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, x):
        return self.net(x).squeeze(-1)


model = Scorer()
opt = torch.optim.SGD(model.parameters(), lr=0.05)
X = torch.randn(384, 6)
y = X[:, 0] - 2 * X[:, 1] + X[:, 2] * X[:, 3]
xv = torch.randn(16, 6)
hist, n_nodes = [], []
for epoch in range(6):
    for xb, yb in zip(X.split(32), y.split(32)):
        loss = nn.functional.mse_loss(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        hist.append(loss.item())
        if epoch == 0 and len(hist) == 3:  # an early snapshot, taken mid-epoch
            ep = torch.export.export(model.eval(), (xv,))
            model.train()
            n_nodes.append(len(ep.graph.nodes))
model.eval()
ep = torch.export.export(model, (xv,))
with torch.no_grad():
    assert torch.allclose(ep.module()(xv), model(xv))
n_nodes.append(len(ep.graph.nodes))
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(hist[0]), repr(hist[-1]), repr(n_nodes), repr(checksum))
