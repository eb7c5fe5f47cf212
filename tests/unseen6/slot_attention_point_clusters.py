"""Slot attention (Locatello et al. 2020) on 2-D point clouds: each set holds 30 points drawn
around 3 random cluster centres, and three slots must each settle on one centre. The
attention is normalised over the *slots* axis (the slots compete for points), then renormalised
as a weighted mean over the points; slots are refined by a GRUCell for 3 iterations and start
from a learned Gaussian. The loss is permutation invariant: the MSE under the best of the 3!
slot-to-centre matchings. Metric: matched centre MSE against predicting the set's centroid
for every slot.
"""
import itertools

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1)
K, N, D = 3, 30, 32
PERMS = torch.tensor(list(itertools.permutations(range(K))))


def make(b):
    centres = torch.empty(b, K, 2).uniform_(-2, 2)
    which = torch.randint(0, K, (b, N))
    pts = torch.gather(centres, 1, which.unsqueeze(-1).expand(-1, -1, 2)) + 0.15 * torch.randn(b, N, 2)
    return pts, centres


class SlotAttention(nn.Module):
    def __init__(self, iters=3):
        super().__init__()
        self.iters = iters
        self.encode = nn.Sequential(nn.Linear(2, D), nn.ReLU(), nn.Linear(D, D))
        self.norm_in, self.norm_slot, self.norm_mlp = nn.LayerNorm(D), nn.LayerNorm(D), nn.LayerNorm(D)
        self.q, self.k, self.v = nn.Linear(D, D, bias=False), nn.Linear(D, D, bias=False), nn.Linear(D, D, bias=False)
        self.gru = nn.GRUCell(D, D)
        self.mlp = nn.Sequential(nn.Linear(D, 64), nn.ReLU(), nn.Linear(64, D))
        self.mu = nn.Parameter(torch.randn(1, 1, D) * 0.5)
        self.log_sigma = nn.Parameter(torch.zeros(1, 1, D))
        self.readout = nn.Sequential(nn.Linear(D, 64), nn.ReLU(), nn.Linear(64, 2))

    def forward(self, pts):
        b = pts.shape[0]
        feats = self.norm_in(self.encode(pts))
        k, v = self.k(feats), self.v(feats)
        slots = self.mu + self.log_sigma.exp() * torch.randn(b, K, D)
        for _ in range(self.iters):
            prev = slots
            q = self.q(self.norm_slot(slots))
            logits = torch.einsum("bnd,bkd->bnk", k, q) / D ** 0.5
            attn = logits.softmax(dim=-1) + 1e-8            # slots compete for each point
            attn = attn / attn.sum(dim=1, keepdim=True)     # weighted mean over points
            updates = torch.einsum("bnk,bnd->bkd", attn, v)
            slots = self.gru(updates.reshape(-1, D), prev.reshape(-1, D)).reshape(b, K, D)
            slots = slots + self.mlp(self.norm_mlp(slots))
        return self.readout(slots)


def matched_mse(pred, centres):
    # [B, P, K, 2]: every permutation of the slots against the fixed centre order
    permuted = pred[:, PERMS]
    err = ((permuted - centres.unsqueeze(1)) ** 2).mean(dim=(2, 3))
    return err.min(dim=1).values.mean()


model = SlotAttention()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
pts_te, c_te = make(1000)
base = matched_mse(pts_te.mean(1, keepdim=True).expand(-1, K, -1), c_te).item()


@torch.no_grad()
def evaluate():
    return matched_mse(model(pts_te), c_te).item()


print(f"baseline (centroid for every slot) {base:.4f}")
print(f"start matched mse {evaluate():.4f}")
for step in range(1, 801):
    pts, centres = make(64)
    loss = matched_mse(model(pts), centres)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 100 == 0:
        print(f"step {step} train {loss.item():.4f} test {evaluate():.4f}")
print(f"FINAL matched_mse {evaluate():.4f} (centroid baseline {base:.4f})")
