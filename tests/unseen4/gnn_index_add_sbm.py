"""Node classification on a stochastic block model graph with a hand-written message
passing layer: messages W h[src] aggregated into dst with index_add_, mean-normalised by
in-degree, plus a self connection; loss only on the training nodes (boolean mask)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(2)
N, C, F_IN = 300, 3, 16
labels = torch.randint(0, C, (N,))
p_in, p_out = 0.06, 0.008
same = labels[:, None] == labels[None, :]
adj = torch.rand(N, N) < torch.where(same, torch.tensor(p_in), torch.tensor(p_out))
adj = adj | adj.T
adj.fill_diagonal_(False)
src, dst = adj.nonzero(as_tuple=True)
centers = torch.randn(C, F_IN) * 0.6
x = centers[labels] + torch.randn(N, F_IN)  # features alone are weak
train_mask = torch.rand(N) < 0.3
test_mask = ~train_mask
deg = torch.zeros(N).index_add_(0, dst, torch.ones(len(dst))).clamp(min=1)


class MPLayer(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.msg = nn.Linear(i, o, bias=False)
        self.self_lin = nn.Linear(i, o)

    def forward(self, h):
        m = self.msg(h)[src]
        agg = torch.zeros(h.shape[0], m.shape[1]).index_add_(0, dst, m) / deg[:, None]
        return self.self_lin(h) + agg


class GNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = MPLayer(F_IN, 32)
        self.l2 = MPLayer(32, C)

    def forward(self, h):
        return self.l2(F.dropout(F.relu(self.l1(h)), 0.3, self.training))


model = GNN()
opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
for epoch in range(150):
    model.train()
    out = model(x)
    loss = F.cross_entropy(out[train_mask], labels[train_mask])
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch == 0:
        print(f"start loss {loss.item():.3f}")
print(f"end loss {loss.item():.3f}")
model.eval()
with torch.no_grad():
    acc = (model(x).argmax(1)[test_mask] == labels[test_mask]).float().mean().item()
print(f"FINAL test_acc {acc:.3f}")
