"""Deep image prior (Ulyanov et al. 2018) for denoising a single 1-D signal.

There is no dataset: a 1-D conv encoder-decoder maps a *fixed* random code z (drawn once,
never trained) to a signal and is fitted to one noisy observation with MSE. The
architecture fits the structured part of the signal long before the noise, so training is
stopped early (a fixed iteration budget, as in the paper). The input is perturbed with a
little fresh noise each iteration (the paper's regularisation trick).
Metric: MSE to the *clean* signal, compared with the MSE of the noisy observation itself
and of a 9-tap moving average.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(37)
N = 256
grid = torch.linspace(0, 1, N)
clean = (torch.sin(2 * torch.pi * 3 * grid) + 0.6 * (grid > 0.5).float()
         + 0.4 * torch.sin(2 * torch.pi * 11 * grid) * (grid < 0.3).float())
noisy = clean + 0.3 * torch.randn(N)


def block(cin, cout):
    return nn.Sequential(nn.Conv1d(cin, cout, 5, padding=2), nn.BatchNorm1d(cout), nn.LeakyReLU(0.2))


class Hourglass(nn.Module):
    """Encoder-decoder with three 2x downsamplings, linear upsampling, and a skip connection
    only at the coarsest scale (fine-scale skips would let the noise through)."""

    def __init__(self, ch=16):
        super().__init__()
        self.d1, self.d2, self.d3 = block(16, ch), block(ch, ch), block(ch, ch)
        self.mid = block(ch, ch)
        self.u3, self.u2, self.u1 = block(2 * ch, ch), block(ch, ch), block(ch, ch)
        self.out = nn.Conv1d(ch, 1, 1)

    def forward(self, z):
        up = lambda h: F.interpolate(h, scale_factor=2, mode="linear")
        h3 = self.d3(F.avg_pool1d(self.d2(F.avg_pool1d(self.d1(z), 2)), 2))
        m = self.mid(F.avg_pool1d(h3, 2))
        h = self.u3(torch.cat([up(m), h3], 1))
        h = self.u2(up(h))
        return self.out(self.u1(up(h)))


net = Hourglass()
z = 0.1 * torch.rand(1, 16, N)
target = noisy.view(1, 1, N)
opt = torch.optim.Adam(net.parameters(), lr=0.01)


def mse_clean(sig):
    return F.mse_loss(sig.flatten(), clean).item()


smoothed = F.avg_pool1d(F.pad(noisy.view(1, 1, N), (4, 4), mode="replicate"), 9, stride=1).flatten()
with torch.no_grad():
    print(f"noisy-observation mse {mse_clean(noisy):.4f}, moving average {mse_clean(smoothed):.4f}; "
          f"untrained network output {mse_clean(net(z)):.4f}")
for it in range(160):
    out = net(z + 0.03 * torch.randn_like(z))
    loss = F.mse_loss(out, target)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if it % 40 == 0:
        with torch.no_grad():
            print(f"iter {it:3d} fit to noisy {loss.item():.4f} mse to clean {mse_clean(net(z)):.4f}")
with torch.no_grad():
    final = mse_clean(net(z))
print(f"FINAL mse to the clean signal {final:.4f} (noisy {mse_clean(noisy):.4f}, "
      f"moving average {mse_clean(smoothed):.4f}); fit to the noisy target {loss.item():.4f}")
