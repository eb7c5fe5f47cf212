"""Thread: https://github.com/prs-eth/Marigold/issues/111 ("loss=nan occurs during training")
A user fine-tuning Marigold on their own depth dataset got a NaN loss. Another user: "I
notice that this happens when input batch contains NaN values"; the maintainer: "check
your data -- does it contain NaN in the input image or ground truth?"; the reporter:
"Yes, thank you".

Small-scale reproduction of Marigold's training step: RGB and ground-truth depth are
encoded into latents by a frozen encoder (a fixed random strided conv standing in for the
Stable Diffusion VAE, under no_grad), noise is added to the depth latent at a random DDPM
timestep, a small conditional denoiser sees [rgb latent, noisy depth latent] and predicts
v, and the loss is masked with the downsampled valid-pixel mask, as in
marigold_trainer.py. Depth is normalised per image to [-1, 1] with the 2%/98% quantiles
of the valid pixels (ScaleShiftDepthNormalizer).
Bug as in the thread: the custom dataset stores missing depth (sensor holes) as NaN. The
valid mask (depth > 0) excludes those pixels from the quantiles and from the masked loss,
but the normaliser keeps NaN at the holes and the encoder's convolution spreads it into
neighbouring latent cells that the mask keeps, so the loss -- and then every weight -- is NaN.
Metric: validation v-prediction MSE on clean images, against predicting v = 0.
Cause: data-nonfinite. This is the fixed twin of marigold_nan_depth_targets.py: the dataset
replaces NaN depth by 0 (invalid, so masked out like any other hole) before normalising.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(2024)
S, T_STEPS = 32, 1000


class HoleyDepthDataset(Dataset):
    """Synthetic scenes: depth from a slanted plane plus a box; the RGB image is shaded by depth
    and texture. One image in four has sensor holes, stored as NaN."""

    def __init__(self, n, holes=True):
        yy, xx = torch.meshgrid(torch.linspace(0, 1, S), torch.linspace(0, 1, S), indexing="ij")
        self.items = []
        for i in range(n):
            depth = 2 + 3 * yy * torch.rand(1) + 2 * xx * torch.rand(1)
            x0, y0 = torch.randint(4, 20, (2,)).tolist()
            depth[y0:y0 + 8, x0:x0 + 8] -= 1.0
            tex = 0.1 * torch.sin(20 * xx + 6.28 * torch.rand(1)) * torch.sin(17 * yy)
            rgb = torch.stack([1 / depth + tex, 0.5 / depth + tex, 0.3 + tex]).clamp(0, 1)
            if holes and i % 4 == 0:
                hy, hx = torch.randint(0, S - 6, (2,)).tolist()
                depth[hy:hy + 6, hx:hx + 6] = float("nan")
            self.items.append((rgb, depth.unsqueeze(0)))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        rgb, depth_raw = self.items[i]
        depth_raw = torch.nan_to_num(depth_raw, nan=0.0)  # holes become 0: invalid, masked out
        valid_mask = depth_raw > 0
        return {"rgb_norm": rgb * 2 - 1, "depth_raw_linear": depth_raw,
                "depth_raw_norm": normalize_depth(depth_raw, valid_mask), "valid_mask_raw": valid_mask}


def normalize_depth(depth_linear, valid_mask, norm_min=-1.0, norm_max=1.0, q=0.02):
    valid_mask = valid_mask & (depth_linear > 0)
    _min, _max = torch.quantile(depth_linear[valid_mask], torch.tensor([q, 1 - q]))
    depth_norm = (depth_linear - _min) / (_max - _min) * (norm_max - norm_min) + norm_min
    return torch.clip(depth_norm, norm_min, norm_max)


class FrozenEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, kernel_size=8, stride=4, padding=2)

    def forward(self, x):
        return self.conv(x)


class Denoiser(nn.Module):
    def __init__(self, ch=32):
        super().__init__()
        self.t_embed = nn.Sequential(nn.Linear(16, ch), nn.SiLU(), nn.Linear(ch, ch))
        self.inp = nn.Conv2d(8, ch, 3, padding=1)
        self.body = nn.Sequential(nn.GroupNorm(8, ch), nn.SiLU(), nn.Conv2d(ch, ch, 3, padding=1),
                                  nn.GroupNorm(8, ch), nn.SiLU(), nn.Conv2d(ch, ch, 3, padding=1))
        self.out = nn.Conv2d(ch, 4, 3, padding=1)

    def forward(self, x, t):
        freqs = torch.exp(-math.log(1000) * torch.arange(8) / 8)
        ang = t.float().unsqueeze(1) * freqs
        temb = self.t_embed(torch.cat([ang.sin(), ang.cos()], 1))
        h = self.inp(x) + temb[:, :, None, None]
        return self.out(h + self.body(h))


betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, T_STEPS) ** 2
alphas_cumprod = torch.cumprod(1 - betas, 0)


def add_noise(x0, noise, t):
    a = alphas_cumprod[t].view(-1, 1, 1, 1)
    return a.sqrt() * x0 + (1 - a).sqrt() * noise


def get_velocity(x0, noise, t):
    a = alphas_cumprod[t].view(-1, 1, 1, 1)
    return a.sqrt() * noise - (1 - a).sqrt() * x0


vae = FrozenEncoder().requires_grad_(False)
unet = Denoiser()
optimizer = torch.optim.Adam(unet.parameters(), lr=1e-3)
train_loader = DataLoader(HoleyDepthDataset(256), batch_size=16, shuffle=True)
val_batch = next(iter(DataLoader(HoleyDepthDataset(128, holes=False), batch_size=128)))


def latent_loss(batch, generator=None):
    rgb, depth = batch["rgb_norm"], batch["depth_raw_norm"]
    invalid_mask = ~batch["valid_mask_raw"]
    valid_mask_down = ~torch.max_pool2d(invalid_mask.float(), 4, 4).bool()
    valid_mask_down = valid_mask_down.repeat((1, 4, 1, 1))
    with torch.no_grad():
        rgb_latent = vae(rgb)
        gt_depth_latent = vae(depth.repeat(1, 3, 1, 1))
    t = torch.randint(0, T_STEPS, (rgb.shape[0],), generator=generator)
    noise = torch.randn(gt_depth_latent.shape, generator=generator)
    noisy = add_noise(gt_depth_latent, noise, t)
    model_pred = unet(torch.cat([rgb_latent, noisy], 1), t)
    target = get_velocity(gt_depth_latent, noise, t)
    return F.mse_loss(model_pred[valid_mask_down], target[valid_mask_down]), target[valid_mask_down]


@torch.no_grad()
def validate():
    loss, target = latent_loss(val_batch, torch.Generator().manual_seed(0))
    return loss.item(), target.pow(2).mean().item()


val, zero = validate()
print(f"predict-zero v mse {zero:.4f}; start val loss {val:.4f}")
for epoch in range(10):
    running = 0.0
    for batch in train_loader:
        loss, _ = latent_loss(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running += loss.item()
    if epoch % 3 == 0 or epoch == 9:
        print(f"epoch {epoch} train loss {running / len(train_loader):.4f} val loss {validate()[0]:.4f}")
print(f"FINAL val v-prediction mse {validate()[0]:.4f} (predict zero {zero:.4f})")
