# Mean teacher (Tarvainen & Valpola) for semi-supervised classification: a student trained on
# few labels plus a consistency loss towards a teacher whose weights are an EMA of the
# student's (mul_/add_ under no_grad). Both get noise from dropout: the teacher is run in train
# mode on purpose, its softmax outputs serve as soft targets.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Dropout(0.2),
                                  nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.2))
        self.out = nn.Linear(64, 3)

    def forward(self, x):
        return self.out(self.body(x))


def spirals(n):
    t = torch.rand(n) * 3 + 0.5
    k = torch.randint(0, 3, (n,))
    ang = t * 2.0 + k * (2 * torch.pi / 3)
    x = torch.stack([t * ang.cos(), t * ang.sin()], 1) / 2 + 0.05 * torch.randn(n, 2)
    return x, k


x_lab, y_lab = spirals(60)
x_unl, _ = spirals(1000)
x_test, y_test = spirals(400)

student, teacher = Net(), Net()
teacher.load_state_dict(student.state_dict())
for p in teacher.parameters():
    p.detach_()

opt = torch.optim.Adam(student.parameters(), lr=5e-3)
alpha = 0.97


def evaluate(model):
    model.eval()
    with torch.no_grad():
        loss = F.cross_entropy(model(x_test), y_test).item()
    return loss


history = [evaluate(teacher)]
for step in range(200):
    student.train()
    teacher.train()
    ub = x_unl[torch.randint(0, 1000, (128,))]
    logits_l = student(x_lab)
    noisy = ub + 0.05 * torch.randn_like(ub)
    with torch.no_grad():
        soft = F.softmax(teacher(noisy), dim=1)
    consistency = F.mse_loss(F.softmax(student(ub), dim=1), soft)
    ramp = min(1.0, step / 80)
    loss = F.cross_entropy(logits_l, y_lab) + 5.0 * ramp * consistency
    opt.zero_grad()
    loss.backward()
    opt.step()
    with torch.no_grad():
        for t_p, s_p in zip(teacher.parameters(), student.parameters()):
            t_p.mul_(alpha).add_(s_p, alpha=1 - alpha)
    if step % 50 == 49:
        history.append(evaluate(teacher))

checksum = sum(p.double().sum().item() for p in teacher.parameters())
print("RESULT", repr(history[0]), repr(history[-1]), repr(checksum))
