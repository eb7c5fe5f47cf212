# A sparse mixture of experts layer: a softmax gate, top-2 routing with the selected gate
# weights renormalised, experts evaluated on the tokens routed to them only (index_add_),
# and a load-balancing auxiliary loss, as in Switch/GShard-style layers.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(16)


class MoE(nn.Module):
    def __init__(self, d, hidden, n_experts=4, k=2):
        super().__init__()
        self.k, self.n = k, n_experts
        self.gate = nn.Linear(d, n_experts)
        self.experts = nn.ModuleList(
            nn.Sequential(nn.Linear(d, hidden), nn.GELU(), nn.Linear(hidden, d)) for _ in range(n_experts))

    def forward(self, x):
        probs = F.softmax(self.gate(x), dim=-1)                 # [N, E]
        top_w, top_i = probs.topk(self.k, dim=-1)               # [N, k]
        top_w = top_w / top_w.sum(-1, keepdim=True)
        out = torch.zeros_like(x)
        for e, expert in enumerate(self.experts):
            token, slot = (top_i == e).nonzero(as_tuple=True)
            if token.numel() == 0:
                continue
            out.index_add_(0, token, top_w[token, slot].unsqueeze(1) * expert(x[token]))
        # load balancing: fraction of tokens per expert times mean gate probability
        frac = F.one_hot(top_i[:, 0], self.n).float().mean(0)
        aux = self.n * (frac * probs.mean(0)).sum()
        return out, aux


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(4, 16)
        self.moe = MoE(16, 32)
        self.out = nn.Linear(16, 1)

    def forward(self, x):
        h = self.inp(x)
        m, aux = self.moe(h)
        return self.out(h + m), aux


# a piecewise target: a different function in each quadrant of (x0, x1)
X = torch.randn(1024, 4)
quad = (X[:, 0] > 0).long() * 2 + (X[:, 1] > 0).long()
funcs = torch.stack([X[:, 2] * X[:, 3], X[:, 2].sin(), -X[:, 3] ** 2 / 2, X[:, 2] - X[:, 3]], 1)
y = funcs.gather(1, quad.unsqueeze(1))

model = Model()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)


def test_mse():
    with torch.no_grad():
        return F.mse_loss(model(X[896:])[0], y[896:]).item()


first = test_mse()
for epoch in range(12):
    perm = torch.randperm(896)
    for b in perm.split(64):
        pred, aux = model(X[b])
        loss = F.mse_loss(pred, y[b]) + 0.01 * aux
        opt.zero_grad()
        loss.backward()
        opt.step()
final = test_mse()
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
