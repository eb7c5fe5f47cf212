"""CLEVR-IEP-style training loop: every few iterations check_accuracy() puts the model in eval
mode to measure train/val accuracy, and nothing puts it back in train mode.

Thread: https://github.com/facebookresearch/clevr-iep/pull/22
User saw: check_accuracy is called periodically during training and calls set_mode('eval', ...),
  "however it seems to forget setting model back to train mode after evaluation, which might
  cause problems for learning models that have batch-norm or dropout".
Cause (thread, merged by the author): after the first accuracy check the rest of training runs
  with dropout off and batch-norm using its running statistics.
Fix (thread): set the model back to train mode after check_accuracy.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(22)
N_FEATS, N_ANSWERS = 64, 4


W_ANSWER = torch.randn(8, N_ANSWERS)


def make_questions(n):
    # 8 informative features among N_FEATS noisy ones; a few labels are wrong
    x = torch.randn(n, N_FEATS)
    y = (x[:, :8] @ W_ANSWER).argmax(1)
    flip = torch.rand(n) < 0.15
    y[flip] = torch.randint(0, N_ANSWERS, (int(flip.sum()),))
    return x, y


class ExecutionEngine(nn.Module):
    def __init__(self, width=128, depth=4):
        super().__init__()
        layers, d = [], N_FEATS
        for _ in range(depth):
            layers += [nn.Linear(d, width), nn.BatchNorm1d(width), nn.ReLU(), nn.Dropout(0.2)]
            d = width
        self.net = nn.Sequential(*layers, nn.Linear(width, N_ANSWERS))

    def forward(self, x):
        return self.net(x)


def check_accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


x_train, y_train = make_questions(1000)
x_val, y_val = make_questions(1000)
model = ExecutionEngine()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
model.train()
t = 0
for epoch in range(12):
    for i in range(0, len(x_train), 40):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x_train[i:i + 40]), y_train[i:i + 40])
        loss.backward()
        optimizer.step()
        t += 1
        if t % 50 == 0:
            train_acc = check_accuracy(model, x_train, y_train)
            val_acc = check_accuracy(model, x_val, y_val)
            print(f"iter {t} train acc {train_acc:.3f} val acc {val_acc:.3f}")
print(f"FINAL val_acc {check_accuracy(model, x_val, y_val):.3f}")
