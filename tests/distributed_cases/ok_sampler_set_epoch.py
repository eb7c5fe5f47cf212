"""The healthy twin: set_epoch(epoch) at the start of every epoch gives each epoch its own order."""
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

dist.init_process_group("gloo")
torch.manual_seed(0)
X = torch.randn(256, 8)
y = (X[:, :3].sum(1) > 0).long()
ds = TensorDataset(X, y)
sampler = DistributedSampler(ds, shuffle=True)
loader = DataLoader(ds, batch_size=16, sampler=sampler)
model = DDP(nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 2)))
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
orders = []
for epoch in range(4):
    sampler.set_epoch(epoch)
    first = []
    for xb, yb in loader:
        first.append(float(xb[0, 0]))
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()
    orders.append(tuple(first))
if dist.get_rank() == 0:
    print("epochs in the same order:", len(set(orders)) == 1)
dist.destroy_process_group()
