"""The healthy twin: 32 samples per process, enough for each process's batch statistics."""
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

PER_PROCESS_BATCH = 32

dist.init_process_group("gloo")
torch.manual_seed(0)
X = torch.randn(512, 10)
y = (X[:, 0] * X[:, 1] + X[:, 2:5].sum(1) > 0).long()
ds = TensorDataset(X, y)
sampler = DistributedSampler(ds)
loader = DataLoader(ds, batch_size=PER_PROCESS_BATCH, sampler=sampler)
model = DDP(nn.Sequential(nn.Linear(10, 64), nn.BatchNorm1d(64), nn.ReLU(),
                          nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 2)))
opt = torch.optim.SGD(model.parameters(), lr=0.1 * PER_PROCESS_BATCH / 32)
for epoch in range(4):
    sampler.set_epoch(epoch)
    for xb, yb in loader:
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()
model.eval()
with torch.no_grad():
    acc = (model.module(X).argmax(1) == y).float().mean().item()
if dist.get_rank() == 0:
    print(f"accuracy {acc:.3f}")
dist.destroy_process_group()
