"""The data is split unevenly by hand (rank 0 gets 100 samples, rank 1 gets 80) and the
DistributedDataParallel loop has no `join()`: rank 1 runs out of batches first, and rank 0's
extra step waits in the gradient all-reduce for a partner that never comes (under NCCL a hang,
under gloo a crash once rank 1 exits)."""
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
torch.manual_seed(0)
X = torch.randn(180, 6)
y = X[:, :2].sum(1, keepdim=True)
bounds = [0, 100, 180]  # by hand: one shard per process, not the same size
mine = slice(bounds[rank], bounds[rank + 1])
loader = DataLoader(TensorDataset(X[mine], y[mine]), batch_size=10, shuffle=True)
model = DDP(nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 1)))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
for epoch in range(3):
    for xb, yb in loader:
        opt.zero_grad()
        F.mse_loss(model(xb), yb).backward()
        opt.step()
dist.destroy_process_group()
