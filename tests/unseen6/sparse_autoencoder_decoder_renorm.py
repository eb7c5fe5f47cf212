"""Sparse autoencoder for dictionary learning (as used on transformer activations): 48-d
"activations" are sparse non-negative combinations of 96 unknown unit-norm directions (3 of
them active per sample) plus noise. The SAE has 192 ReLU latents with a pre-encoder bias
shared with the decoder, an L1 penalty on the codes, and a decoder whose columns are kept at
unit norm: before each step the gradient component parallel to each column is removed, and
after the step the columns are renormalised in place under no_grad. Metrics: fraction of
variance unexplained (FVU, 1.0 for the mean predictor), mean L0 of the codes, and the share of
true directions recovered by some decoder column with cosine > 0.9.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(7)
D_IN, N_TRUE, N_LAT, ACTIVE = 48, 96, 192, 3
true_dirs = F.normalize(torch.randn(N_TRUE, D_IN), dim=1)


def make(n):
    idx = torch.rand(n, N_TRUE).argsort(dim=1)[:, :ACTIVE]
    coef = torch.zeros(n, N_TRUE).scatter_(1, idx, torch.rand(n, ACTIVE) * 2 + 0.5)
    return coef @ true_dirs + 0.02 * torch.randn(n, D_IN)


class SAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.b_dec = nn.Parameter(torch.zeros(D_IN))
        self.enc = nn.Linear(D_IN, N_LAT)
        self.W_dec = nn.Parameter(F.normalize(torch.randn(D_IN, N_LAT), dim=0))
        with torch.no_grad():
            self.enc.weight.copy_(self.W_dec.t())
            self.enc.bias.zero_()

    def forward(self, x):
        codes = F.relu(self.enc(x - self.b_dec))
        return codes @ self.W_dec.t() + self.b_dec, codes


x_tr, x_te = make(20000), make(4000)
model = SAE()
with torch.no_grad():
    model.b_dec.copy_(x_tr.mean(0))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
l1 = 0.3


@torch.no_grad()
def evaluate():
    recon, codes = model(x_te)
    fvu = ((recon - x_te) ** 2).sum() / ((x_te - x_te.mean(0)) ** 2).sum()
    cos = true_dirs @ F.normalize(model.W_dec, dim=0)
    recovered = (cos.max(dim=1).values > 0.9).float().mean()
    return fvu.item(), (codes > 0).float().sum(1).mean().item(), recovered.item()


print("start fvu %.4f  L0 %.1f  recovered %.3f" % evaluate())
for epoch in range(10):
    perm = torch.randperm(len(x_tr))
    for i in range(0, len(perm), 128):
        xb = x_tr[perm[i:i + 128]]
        recon, codes = model(xb)
        loss = ((recon - xb) ** 2).sum(1).mean() + l1 * codes.abs().sum(1).mean()
        opt.zero_grad()
        loss.backward()
        with torch.no_grad():
            W, G = model.W_dec, model.W_dec.grad
            G -= (G * W).sum(0, keepdim=True) * W
        opt.step()
        with torch.no_grad():
            model.W_dec.div_(model.W_dec.norm(dim=0, keepdim=True))
    print("epoch %d loss %.4f  fvu %.4f  L0 %.1f  recovered %.3f" % ((epoch, loss.item()) + evaluate()))
fvu, l0, rec = evaluate()
print(f"FINAL fvu {fvu:.4f} (mean predictor 1.0) L0 {l0:.1f} recovered {rec:.3f}")
