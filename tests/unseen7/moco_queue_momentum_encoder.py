"""MoCo v2 on synthetic "sensor" vectors: a query encoder trained with InfoNCE against a
momentum (EMA) key encoder and a FIFO queue of negative keys.

Each sample carries its identity in 6 weak signal features and 26 nuisance
features. The two augmented views share the signal (jittered, randomly scaled) and draw
the nuisance features afresh, so the contrastive task teaches the encoder to ignore them.
The key encoder is a deepcopy whose parameters are frozen and moved by
`k = m * k + (1 - m) * q`; the queue is a registered buffer updated in place.
Metric: 5-nearest-neighbour accuracy of the 8 latent classes on held-out data, using the
L2-normalised embeddings (no label is used in training).
"""
import copy
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class MocoConfig:
    dim_in: int = 32
    n_signal: int = 6
    dim_feat: int = 32
    queue_size: int = 1024
    momentum: float = 0.99
    temperature: float = 0.2
    batch_size: int = 128
    steps: int = 150
    lr: float = 0.1
    n_classes: int = 8
    seed: int = 3


cfg = MocoConfig()
torch.manual_seed(cfg.seed)
prototypes = torch.randn(cfg.n_classes, cfg.n_signal) * 1.2


def sample(n):
    y = torch.randint(0, cfg.n_classes, (n,))
    signal = prototypes[y] + 0.35 * torch.randn(n, cfg.n_signal)
    return signal, y


def view(signal):
    """One augmented view: jittered, rescaled signal plus freshly drawn nuisance features."""
    n = signal.shape[0]
    s = signal * (0.8 + 0.4 * torch.rand(n, 1)) + 0.15 * torch.randn_like(signal)
    nuisance = 1.5 * torch.randn(n, cfg.dim_in - cfg.n_signal)
    return torch.cat([s, nuisance], dim=1)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(cfg.dim_in, 64), nn.BatchNorm1d(64), nn.ReLU(),
                                      nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ReLU())
        self.head = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, cfg.dim_feat))

    def forward(self, x):
        return self.head(self.backbone(x))


class MoCo(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder_q = Encoder()
        self.encoder_k = copy.deepcopy(self.encoder_q)
        for p in self.encoder_k.parameters():
            p.requires_grad = False
        self.register_buffer("queue", F.normalize(torch.randn(cfg.queue_size, cfg.dim_feat), dim=1))
        self.register_buffer("ptr", torch.zeros((), dtype=torch.long))

    @torch.no_grad()
    def momentum_update(self):
        for q, k in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
            k.mul_(cfg.momentum).add_(q.detach(), alpha=1 - cfg.momentum)

    @torch.no_grad()
    def enqueue(self, keys):
        i = int(self.ptr)
        self.queue[i:i + keys.shape[0]] = keys
        self.ptr.fill_((i + keys.shape[0]) % cfg.queue_size)

    def forward(self, x_q, x_k):
        q = F.normalize(self.encoder_q(x_q), dim=1)
        with torch.no_grad():
            self.momentum_update()
            k = F.normalize(self.encoder_k(x_k), dim=1)
        l_pos = (q * k).sum(dim=1, keepdim=True)
        l_neg = q @ self.queue.t()
        logits = torch.cat([l_pos, l_neg], dim=1) / cfg.temperature
        labels = torch.zeros(logits.shape[0], dtype=torch.long)
        return logits, labels, k


@torch.no_grad()
def knn_accuracy(encoder, k=5):
    encoder.eval()
    s_bank, y_bank = sample(1000)
    s_test, y_test = sample(500)
    bank = F.normalize(encoder.backbone(view(s_bank)), dim=1)
    test = F.normalize(encoder.backbone(view(s_test)), dim=1)
    idx = (test @ bank.t()).topk(k, dim=1).indices
    votes = F.one_hot(y_bank[idx], cfg.n_classes).sum(1)
    encoder.train()
    return (votes.argmax(1) == y_test).float().mean().item()


model = MoCo()
opt = torch.optim.SGD(model.encoder_q.parameters(), lr=cfg.lr, momentum=0.9, weight_decay=1e-4)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.steps)
with torch.no_grad():  # fill the queue with real keys instead of random vectors
    for _ in range(cfg.queue_size // cfg.batch_size):
        model.enqueue(F.normalize(model.encoder_k(view(sample(cfg.batch_size)[0])), dim=1))
print(f"chance {1 / cfg.n_classes:.3f}; kNN accuracy before training {knn_accuracy(model.encoder_q):.3f}")

for step in range(cfg.steps):
    signal, _ = sample(cfg.batch_size)
    logits, labels, keys = model(view(signal), view(signal))
    loss = F.cross_entropy(logits, labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    model.enqueue(keys)
    if step % 50 == 0:
        print(f"step {step:3d} infonce {loss.item():.3f}")

print(f"FINAL kNN accuracy {knn_accuracy(model.encoder_q):.3f} (chance {1 / cfg.n_classes:.3f}), "
      f"last infonce {loss.item():.3f}")
