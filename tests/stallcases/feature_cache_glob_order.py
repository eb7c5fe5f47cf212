# Tone classification from synthetic audio clips. Spectral features are expensive, so they are
# computed once and cached as .npy files (one per clip id) in a temporary cache directory.
import glob
import os
import tempfile
import uuid

import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(8)
torch.manual_seed(8)
SR, N_CLIPS = 800, 1200
BANDS = {"low": (40, 90), "mid": (140, 200), "high": (260, 340)}
NAMES = list(BANDS)

clip_ids, clip_labels, clips = [], [], []
for _ in range(N_CLIPS):
    lab = int(rng.integers(3))
    f = rng.uniform(*BANDS[NAMES[lab]])
    t = np.arange(SR // 2) / SR
    clips.append(np.sin(2 * np.pi * f * t + rng.uniform(0, 6.28)) + rng.normal(0, 1.0, t.size))
    clip_ids.append(uuid.UUID(bytes=rng.bytes(16)).hex[:12])
    clip_labels.append(lab)


def spectral_features(sig, n_bins=40):
    mag = np.abs(np.fft.rfft(sig))
    return np.log1p(np.array([b.mean() for b in np.array_split(mag, n_bins)])).astype(np.float32)


with tempfile.TemporaryDirectory() as cache_dir:
    for cid, sig in zip(clip_ids, clips):
        np.save(os.path.join(cache_dir, f"{cid}.npy"), spectral_features(sig))
    paths = sorted(glob.glob(os.path.join(cache_dir, "*.npy")))
    X = np.stack([np.load(p) for p in paths])
y = np.array(clip_labels)

X = (X - X.mean(0)) / X.std(0)
X_t, y_t = torch.from_numpy(X[:1000]).float(), torch.from_numpy(y[:1000])
X_v, y_v = torch.from_numpy(X[1000:]).float(), torch.from_numpy(y[1000:])

model = nn.Sequential(nn.Linear(40, 64), nn.ReLU(), nn.Linear(64, 3))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(6):
    perm = torch.randperm(len(X_t))
    for i in range(0, len(perm), 40):
        idx = perm[i:i + 40]
        loss = nn.functional.cross_entropy(model(X_t[idx]), y_t[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        acc = (model(X_v).argmax(-1) == y_v).float().mean().item()
    print(f"epoch {epoch} loss={loss.item():.3f} val_acc={acc:.3f}")
print(f"final val_acc={acc:.3f}")
