"""VQ-VAE on synthetic 8x8 glyphs: conv encoder, nearest-codebook lookup with the
straight-through estimator z_e + (z_q - z_e).detach(), codebook loss on sg(z_e), commitment
loss on sg(e), and a conv decoder; dead codes are re-seeded from encoder outputs."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(11)
N = 1500
base = (torch.rand(12, 1, 8, 8) < 0.35).float()
imgs = base[torch.randint(0, 12, (N,))]
shifted = torch.rand(N, 1, 1, 1) < 0.5
imgs = torch.where(shifted, torch.roll(imgs, shifts=1, dims=3), imgs)
imgs = (imgs + 0.1 * torch.randn_like(imgs)).clamp(0, 1)

K, DIM, BETA = 32, 16, 0.25
enc = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, DIM, 4, stride=2, padding=1))
dec = nn.Sequential(nn.ConvTranspose2d(DIM, 32, 4, stride=2, padding=1), nn.ReLU(), nn.Conv2d(32, 1, 3, padding=1))
codebook = nn.Embedding(K, DIM)
codebook.weight.data.uniform_(-1 / K, 1 / K)
opt = torch.optim.Adam([*enc.parameters(), *dec.parameters(), *codebook.parameters()], lr=2e-3)


def quantize(z_e):
    flat = z_e.permute(0, 2, 3, 1).reshape(-1, DIM)
    idx = torch.cdist(flat, codebook.weight).argmin(1)
    z_q = codebook(idx).view(z_e.shape[0], z_e.shape[2], z_e.shape[3], DIM).permute(0, 3, 1, 2)
    return z_q, idx, flat


for epoch in range(12):
    perm = torch.randperm(N)
    usage = torch.zeros(K)
    for i in range(0, N, 100):
        x = imgs[perm[i:i + 100]]
        z_e = enc(x)
        z_q, idx, flat = quantize(z_e)
        usage += torch.bincount(idx, minlength=K).float()
        codebook_loss = F.mse_loss(z_q, z_e.detach())
        commit_loss = F.mse_loss(z_e, z_q.detach())
        z_st = z_e + (z_q - z_e).detach()
        recon = F.binary_cross_entropy_with_logits(dec(z_st), x)
        loss = recon + codebook_loss + BETA * commit_loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        if epoch == 0 and i == 0:
            print(f"start recon {recon.item():.4f}")
    dead = (usage == 0).nonzero().flatten()
    if len(dead):
        with torch.no_grad():
            codebook.weight[dead] = flat[torch.randint(0, len(flat), (len(dead),))].detach()
    print(f"epoch {epoch} recon {recon.item():.4f} codes used {(usage > 0).sum().item()}")
with torch.no_grad():
    z_q, _, _ = quantize(enc(imgs))
    err = (torch.sigmoid(dec(z_q)).round() != imgs.round()).float().mean().item()
print(f"FINAL pixel_error {err:.4f}")
