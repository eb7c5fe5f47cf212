"""Two optimizers: AdamW over the encoder with two param groups (decay / no-decay, found
by parameter name) and SGD over the head; the AdamW side has a LambdaLR with one lambda per
group (warm-up for the weights, constant for biases and norms), the SGD side a StepLR."""
import torch
import torch.nn as nn

torch.manual_seed(7)
N, D, C = 3000, 24, 5
X = torch.randn(N, D)
proto = torch.randn(C, D)
y = (X @ proto.T + 0.5 * torch.randn(N, C)).argmax(1)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(D, 96), nn.LayerNorm(96), nn.GELU(), nn.Linear(96, 96), nn.GELU())
        self.head = nn.Linear(96, C)

    def forward(self, x):
        return self.head(self.encoder(x))


net = Net()
decay, no_decay = [], []
for name, p in net.encoder.named_parameters():
    (no_decay if name.endswith("bias") or "1." in name else decay).append(p)
opt_enc = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}], lr=2e-3)
opt_head = torch.optim.SGD(net.head.parameters(), lr=0.1, momentum=0.9)
WARM = 60
sched_enc = torch.optim.lr_scheduler.LambdaLR(opt_enc, lr_lambda=[lambda s: min(1.0, (s + 1) / WARM), lambda s: 1.0])
sched_head = torch.optim.lr_scheduler.StepLR(opt_head, step_size=200, gamma=0.5)
loss_fn = nn.CrossEntropyLoss()
step = 0
for epoch in range(8):
    perm = torch.randperm(N)
    for i in range(0, N, 64):
        b = perm[i:i + 64]
        loss = loss_fn(net(X[b]), y[b])
        opt_enc.zero_grad()
        opt_head.zero_grad()
        loss.backward()
        opt_enc.step()
        opt_head.step()
        sched_enc.step()
        sched_head.step()
        if step == 0:
            print(f"start loss {loss.item():.3f}")
        step += 1
    print(f"epoch {epoch} loss {loss.item():.3f} lrs {[g['lr'] for g in opt_enc.param_groups]} {opt_head.param_groups[0]['lr']:.3f}")
with torch.no_grad():
    acc = (net(X).argmax(1) == y).float().mean().item()
print(f"FINAL train_acc {acc:.3f}")
