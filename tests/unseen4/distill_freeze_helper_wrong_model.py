"""Knowledge distillation: a wide teacher is trained first, then a small student learns from
KL(student/T || teacher/T) * T^2 plus hard-label CE. A `freeze` helper is meant for the
teacher but is called on the student (the names were swapped while refactoring), so the
optimizer holds only parameters with requires_grad=False."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(21)
N, D, C, T = 3000, 20, 6, 4.0
X = torch.randn(N, D)
y = (torch.sin(X[:, :6] * 1.5) @ torch.randn(6, C) + 0.2 * torch.randn(N, C)).argmax(1)
Xtr, ytr, Xte, yte = X[:2400], y[:2400], X[2400:], y[2400:]


def mlp(h):
    return nn.Sequential(nn.Linear(D, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, C))


def freeze(module):
    for p in module.parameters():
        p.requires_grad_(False)
    return module


teacher = mlp(256)
opt_t = torch.optim.Adam(teacher.parameters(), lr=2e-3)
for epoch in range(6):
    for i in range(0, len(Xtr), 64):
        loss = F.cross_entropy(teacher(Xtr[i:i + 64]), ytr[i:i + 64])
        opt_t.zero_grad()
        loss.backward()
        opt_t.step()
teacher.eval()

student = mlp(32)
student = freeze(student)  # BUG: meant freeze(teacher)
opt = torch.optim.Adam(student.parameters(), lr=3e-3)
for epoch in range(8):
    perm = torch.randperm(len(Xtr))
    for i in range(0, len(Xtr), 64):
        b = perm[i:i + 64]
        t_logits = teacher(Xtr[b])
        s_logits = student(Xtr[b])
        kd = F.kl_div(F.log_softmax(s_logits / T, 1), F.softmax(t_logits / T, 1), reduction="batchmean") * T * T
        loss = 0.7 * kd + 0.3 * F.cross_entropy(s_logits, ytr[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if epoch == 0 and i == 0:
            print(f"start student loss {loss.item():.3f}")
    print(f"epoch {epoch} student loss {loss.item():.3f}")
with torch.no_grad():
    t_acc = (teacher(Xte).argmax(1) == yte).float().mean().item()
    s_acc = (student(Xte).argmax(1) == yte).float().mean().item()
print(f"FINAL teacher_acc {t_acc:.3f} student_acc {s_acc:.3f}")
