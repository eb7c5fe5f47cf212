"""The healthy twin: the summed gradients are divided by the world size (the average)."""
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
torch.manual_seed(0)
X = torch.randn(512, 10) * torch.linspace(0.5, 2.0, 10)
y = X @ torch.linspace(-1, 1, 10).unsqueeze(1) + 0.1 * torch.randn(512, 1)
Xs, ys = X[rank::world], y[rank::world]
model = nn.Sequential(nn.Linear(10, 32), nn.Tanh(), nn.Linear(32, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.09, momentum=0.5)
for epoch in range(6):
    for i in range(0, len(Xs), 32):
        opt.zero_grad()
        loss = F.mse_loss(model(Xs[i:i + 32]), ys[i:i + 32])
        loss.backward()
        for p in model.parameters():
            dist.all_reduce(p.grad)
            p.grad /= world
        opt.step()
with torch.no_grad():
    final = F.mse_loss(model(X), y).item()
if rank == 0:
    print(f"final loss {final:.4f}")
dist.destroy_process_group()
