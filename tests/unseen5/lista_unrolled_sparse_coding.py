"""Learned ISTA (LISTA, Gregor & LeCun 2010): sparse codes z (5 of 64 atoms active) are
recovered from x = D z + noise by 6 unrolled iterations z <- soft(W_e x + S z, theta) whose
matrices W_e, S and per-layer thresholds are learned, initialised from ISTA's own values.
Compared with 6 and with 200 iterations of plain ISTA on the same dictionary."""
import torch
import torch.nn as nn

torch.manual_seed(29)
M, N, K, T = 32, 64, 5, 6
Dict = torch.randn(M, N) / M ** 0.5
Dict = Dict / Dict.norm(dim=0, keepdim=True)
Lip = torch.linalg.matrix_norm(Dict, ord=2).item() ** 2
LAM = 0.05


def make(n):
    z = torch.zeros(n, N)
    idx = torch.rand(n, N).argsort(1)[:, :K]
    z.scatter_(1, idx, torch.randn(n, K).sign() * (0.5 + torch.rand(n, K)))
    return z @ Dict.t() + 0.01 * torch.randn(n, M), z


def soft(v, th):
    return torch.sign(v) * torch.relu(v.abs() - th)


def ista(x, iters):
    z = torch.zeros(len(x), N)
    for _ in range(iters):
        z = soft(z + (x - z @ Dict.t()) @ Dict / Lip, LAM / Lip)
    return z


class LISTA(nn.Module):
    def __init__(self):
        super().__init__()
        self.We = nn.Linear(M, N, bias=False)
        self.S = nn.Linear(N, N, bias=False)
        self.theta = nn.Parameter(torch.full((T,), LAM / Lip))
        with torch.no_grad():
            self.We.weight.copy_(Dict.t() / Lip)
            self.S.weight.copy_(torch.eye(N) - Dict.t() @ Dict / Lip)

    def forward(self, x):
        b = self.We(x)
        z = soft(b, self.theta[0])
        for t in range(1, T):
            z = soft(b + self.S(z), self.theta[t])
        return z


x_tr, z_tr = make(4000)
x_te, z_te = make(1000)
model = LISTA()
opt = torch.optim.Adam(model.parameters(), lr=5e-4)
err = lambda z: (((z - z_te) ** 2).sum(1) / (z_te ** 2).sum(1)).mean().item()
with torch.no_grad():
    print(f"relative error: ISTA-{T} {err(ista(x_te, T)):.3f}  ISTA-200 {err(ista(x_te, 200)):.3f}  LISTA-{T} at init {err(model(x_te)):.3f}")
for epoch in range(12):
    perm = torch.randperm(len(x_tr))
    for i in range(0, len(x_tr), 200):
        idx = perm[i:i + 200]
        loss = ((model(x_tr[idx]) - z_tr[idx]) ** 2).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    if epoch % 3 == 0:
        print(f"epoch {epoch} code mse {loss.item():.4f}")
with torch.no_grad():
    e = err(model(x_te))
print(f"end LISTA-{T} relative error {e:.3f}")
print(f"FINAL lista_rel_err {e:.3f}")
