"""Knowledge distillation (Hinton et al.): temperature-softened KL divergence between
student and teacher log-probabilities, plus the hard-label cross entropy."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(61)
T, ALPHA = 4.0, 0.7
X = torch.randn(800, 10)
y = (torch.sin(X[:, 0] * 2) + X[:, 1] ** 2 > 1).long() + (X[:, 2] > 0.5).long()

teacher = nn.Sequential(nn.Linear(10, 128), nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 128), nn.ReLU(),
                        nn.Linear(128, 3))
t_opt = torch.optim.Adam(teacher.parameters(), lr=3e-3)
for epoch in range(6):
    for xb, yb in zip(X.split(100), y.split(100)):
        t_loss = F.cross_entropy(teacher(xb), yb)
        t_opt.zero_grad()
        t_loss.backward()
        t_opt.step()
teacher.eval()

student = nn.Sequential(nn.Linear(10, 24), nn.ReLU(), nn.Linear(24, 3))
s_opt = torch.optim.Adam(student.parameters(), lr=5e-3)
losses = []
for epoch in range(10):
    for xb, yb in zip(X.split(100), y.split(100)):
        with torch.no_grad():
            soft_targets = F.softmax(teacher(xb) / T, dim=-1)
        logits = student(xb)
        kd = F.kl_div(F.log_softmax(logits / T, dim=-1), soft_targets, reduction="batchmean") * T * T
        loss = ALPHA * kd + (1 - ALPHA) * F.cross_entropy(logits, yb)
        s_opt.zero_grad()
        loss.backward()
        s_opt.step()
        losses.append(loss.item())
checksum = sum(p.detach().double().sum().item() for p in student.parameters())
print("RESULT", repr(losses[0]), repr(losses[-1]), repr(checksum))
