"""Thread: https://github.com/ClementPinard/SfmLearner-Pytorch/issues/5
"I tried to add a learning rate scheduler ... However, the loss doesn't come down if I use
the scheduler." The maintainer found in the posted train.py:

    if scheduler:
        scheduler.step()
    else:
        optimizer.step()

"scheduler.step() only changes learning rate, but does not perform optimizer step. You also
have to call optimizer.step(), regardless of the fact that you use scheduler or not."

Small-scale reproduction of SfmLearner's train(): a DispNet and a PoseNet trained without
depth labels, by view synthesis -- the reference frames (t-1, t+1) are inverse-warped into
the target frame with the predicted depth (1 / disparity) and camera translation, and the
loss is w1 * photometric L1 + w3 * second-order disparity smoothness, as in
loss_functions.py (no explainability mask, -m 0). The "video" is 1-D: 64-pixel scanlines of
a textured slanted plane seen by a camera translating sideways, so a pixel u at depth Z
moves to u - t / Z. Here the DispNet sees the three frames (a multi-view simplification),
the PoseNet the target and both references. Run as `--scheduler step --lr 2e-4`, the
defaults below.
Metric: validation photometric error (the user's symptom was the loss), against the error
of comparing the frames without any warp (zero motion).
Cause: optimizer-step-missing. Fixed twin: sfmlearner_scheduler_replaces_step_fixed.py.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=2e-4)
parser.add_argument("--scheduler", default="step", choices=["none", "step"])
parser.add_argument("--epochs", type=int, default=8)
parser.add_argument("--epoch-size", type=int, default=25)
parser.add_argument("-b", "--batch-size", type=int, default=32)
parser.add_argument("-p", "--photo-loss-weight", type=float, default=1.0)
parser.add_argument("-s", "--smooth-loss-weight", type=float, default=0.1)
args = parser.parse_args()
torch.manual_seed(0)
W = 64
u_grid = torch.linspace(-0.5, 0.5, W)


def render(n):
    """Frames at camera x-positions -t, 0, +t of a slanted textured plane Z = a + b X."""
    a = 2 + 2 * torch.rand(n, 1)
    b = (torch.rand(n, 1) - 0.5) * 1.2
    t = 0.15 + 0.1 * torch.rand(n, 1)
    freqs, phases = 2 + 6 * torch.rand(n, 1, 4), 6.28 * torch.rand(n, 1, 4)
    amps = torch.rand(n, 1, 4)

    def frame(c):
        z = (a + b * c) / (1 - b * u_grid)
        x = c + u_grid * z
        img = (amps * torch.sin(freqs * x.unsqueeze(-1) + phases)).sum(-1)
        return img, z

    tgt, depth = frame(torch.zeros(n, 1))
    prev, _ = frame(-t)
    nxt, _ = frame(t)
    return tgt.unsqueeze(1), [prev.unsqueeze(1), nxt.unsqueeze(1)], depth


class DispNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv1d(3, 32, 7, padding=3), nn.ReLU(),
                                 nn.Conv1d(32, 32, 7, padding=3), nn.ReLU(),
                                 nn.Conv1d(32, 32, 7, padding=3), nn.ReLU(),
                                 nn.Conv1d(32, 1, 3, padding=1))

    def forward(self, tgt, refs):
        return 10 * torch.sigmoid(self.net(torch.cat([tgt] + refs, 1))) + 0.01


class PoseNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv1d(3, 16, 7, stride=2, padding=3), nn.ReLU(),
                                  nn.Conv1d(16, 32, 5, stride=2, padding=2), nn.ReLU(),
                                  nn.AdaptiveAvgPool1d(1), nn.Flatten())
        self.pose = nn.Linear(32, 2)

    def forward(self, tgt, refs):
        return 0.1 * self.pose(self.conv(torch.cat([tgt] + refs, 1)))


def inverse_warp(ref, depth, tx):
    """Sample the reference scanline at u - tx / Z for every target pixel u."""
    src_u = u_grid - tx.view(-1, 1) / depth[:, 0]
    grid = torch.stack([src_u / 0.5, torch.zeros_like(src_u)], -1).unsqueeze(1)
    return F.grid_sample(ref.unsqueeze(2), grid, align_corners=True, padding_mode="border")[:, :, 0]


def photometric_reconstruction_loss(tgt, refs, depth, pose):
    loss = 0
    for j, ref in enumerate(refs):
        loss = loss + (tgt - inverse_warp(ref, depth, pose[:, j])).abs().mean()
    return loss


def smooth_loss(disp):
    d1 = disp[:, :, 1:] - disp[:, :, :-1]
    return (d1[:, :, 1:] - d1[:, :, :-1]).abs().mean()


disp_net, pose_net = DispNet(), PoseNet()
optimizer = torch.optim.Adam(list(disp_net.parameters()) + list(pose_net.parameters()), lr=args.lr,
                             betas=(0.9, 0.999))
scheduler = (torch.optim.lr_scheduler.StepLR(optimizer, step_size=100, gamma=0.5)
             if args.scheduler == "step" else None)
val_tgt, val_refs, _ = render(300)


@torch.no_grad()
def validate():
    disp_net.eval()
    pose_net.eval()
    depth = 1 / disp_net(val_tgt, val_refs)
    photo = photometric_reconstruction_loss(val_tgt, val_refs, depth, pose_net(val_tgt, val_refs)).item()
    disp_net.train()
    pose_net.train()
    return photo


def train(epoch):
    disp_net.train()
    pose_net.train()
    for i in range(args.epoch_size):
        tgt_img, ref_imgs, _ = render(args.batch_size)
        disparities = disp_net(tgt_img, ref_imgs)
        depth = 1 / disparities
        pose = pose_net(tgt_img, ref_imgs)
        loss_1 = photometric_reconstruction_loss(tgt_img, ref_imgs, depth, pose)
        loss_3 = smooth_loss(disparities)
        loss = args.photo_loss_weight * loss_1 + args.smooth_loss_weight * loss_3

        # compute gradient and do Adam step
        optimizer.zero_grad()
        loss.backward()
        if scheduler:
            scheduler.step()
        else:
            optimizer.step()
    return loss.item()


no_warp = sum((val_tgt - ref).abs().mean() for ref in val_refs).item()
print(f"zero-motion photometric error {no_warp:.4f}; start {validate():.4f}")
for epoch in range(args.epochs):
    train_loss = train(epoch)
    photo = validate()
    print(f"epoch {epoch} train loss {train_loss:.4f} val photometric {photo:.4f}")
print(f"FINAL val photometric error {photo:.4f} (zero motion {no_warp:.4f})")
