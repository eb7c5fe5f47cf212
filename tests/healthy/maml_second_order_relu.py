"""Second-order MAML on sine regression (Finn et al. 2017), ReLU network,
hand-written functional forward with fast weights."""
import math

import torch
import torch.nn.functional as F

torch.manual_seed(5)
INNER_LR, META_LR, TASKS = 0.01, 5e-3, 4


def init_params():
    def layer(i, o):
        w = torch.empty(o, i).uniform_(-1, 1) / math.sqrt(i)
        return [w.requires_grad_(), torch.zeros(o, requires_grad=True)]
    return layer(1, 40) + layer(40, 40) + layer(40, 1)


def forward(params, x):
    w1, b1, w2, b2, w3, b3 = params
    h = F.relu(F.linear(x, w1, b1))
    h = F.relu(F.linear(h, w2, b2))
    return F.linear(h, w3, b3)


def sample_task():
    amp, phase = torch.empty(1).uniform_(0.1, 5.0), torch.empty(1).uniform_(0, math.pi)
    def draw(n):
        x = torch.empty(n, 1).uniform_(-5, 5)
        return x, amp * torch.sin(x + phase)
    return draw


params = init_params()
meta_opt = torch.optim.Adam(params, lr=META_LR)
val_tasks = [sample_task() for _ in range(8)]
val_sets = [(t(10), t(50)) for t in val_tasks]


def adapted_loss(p, support, query, create_graph):
    xs, ys = support
    grads = torch.autograd.grad(F.mse_loss(forward(p, xs), ys), p, create_graph=create_graph)
    fast = [w - INNER_LR * g for w, g in zip(p, grads)]
    xq, yq = query
    return F.mse_loss(forward(fast, xq), yq)


def evaluate():
    return sum(adapted_loss(params, s, q, False).item() for s, q in val_sets) / len(val_sets)


first = evaluate()
for step in range(250):
    meta_loss = 0.0
    for _ in range(TASKS):
        task = sample_task()
        meta_loss = meta_loss + adapted_loss(params, task(10), task(10), create_graph=True)
    meta_opt.zero_grad()
    (meta_loss / TASKS).backward()
    meta_opt.step()

final = evaluate()
checksum = sum(p.detach().double().sum().item() for p in params)
print("RESULT", repr(first), repr(final), repr(checksum))
