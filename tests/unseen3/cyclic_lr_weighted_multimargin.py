"""Imbalanced 4-class problem: MultiMarginLoss(reduction='none') weighted per sample by
inverse class frequency, SGD with CyclicLR (triangular2, momentum cycling) stepped per batch."""
import torch
import torch.nn as nn

torch.manual_seed(11)
probs = torch.tensor([0.55, 0.25, 0.15, 0.05])
y = torch.multinomial(probs, 1500, replacement=True)
means = torch.randn(4, 6) * 2
X = means[y] + torch.randn(1500, 6)
freq = torch.bincount(y, minlength=4).float() / len(y)
class_w = (1.0 / freq) / (1.0 / freq).mean()

model = nn.Sequential(nn.Linear(6, 48), nn.LeakyReLU(0.1), nn.Linear(48, 4))
crit = nn.MultiMarginLoss(margin=1.0, reduction="none")
opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
sched = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=1e-3, max_lr=0.05, step_size_up=50,
                                          mode="triangular2", cycle_momentum=True)
for epoch in range(10):
    order = torch.randperm(1500)
    for s in range(0, 1500, 50):
        b = order[s:s + 50]
        per_sample = crit(model(X[b]), y[b])
        loss = (per_sample * class_w[y[b]]).sum() / class_w[y[b]].sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if epoch == 0 and s == 0:
            print(f"start loss {loss.item():.3f}")
print(f"end loss {loss.item():.3f}")
with torch.no_grad():
    pred = model(X).argmax(1)
    recalls = [((pred == c) & (y == c)).sum().item() / (y == c).sum().item() for c in range(4)]
print("FINAL balanced_acc %.3f" % (sum(recalls) / 4))
