"""Differentiable architecture search (DARTS, first-order approximation) on tabular data.

A 3-edge MLP "cell": every edge is a MixedOp, a softmax(alpha)-weighted sum of candidate
operations {linear+ReLU, linear+tanh, linear+sin, identity, zero}. The network weights
are trained on the training split with SGD; the architecture logits alpha (one row per
edge, kept outside the weight optimizer) are trained on the validation split with Adam,
alternating step by step (first order: no unrolled weight step). At the end the argmax op
of each edge is reported and the derived network is evaluated.
Metric: validation accuracy of the supernet against the majority class. (Which ops win is
reported, not judged: with this little data the skip connection often dominates, a known
DARTS behaviour.)
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(13)
OPS = ["relu", "tanh", "sin", "skip", "zero"]
H = 48


class MixedOp(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.lin = nn.ModuleDict({k: nn.Linear(dim, dim) for k in ("relu", "tanh", "sin")})

    def forward(self, x, weights):
        outs = {"relu": F.relu(self.lin["relu"](x)), "tanh": torch.tanh(self.lin["tanh"](x)),
                "sin": torch.sin(self.lin["sin"](x)), "skip": x, "zero": torch.zeros_like(x)}
        return sum(w * outs[k] for w, k in zip(weights, OPS))


class SuperNet(nn.Module):
    def __init__(self, n_in=6, n_cls=4, edges=3):
        super().__init__()
        self.stem = nn.Linear(n_in, H)
        self.edges = nn.ModuleList(MixedOp(H) for _ in range(edges))
        self.head = nn.Linear(H, n_cls)
        self.alpha = nn.Parameter(1e-3 * torch.randn(edges, len(OPS)))

    def weight_parameters(self):
        return [p for n, p in self.named_parameters() if n != "alpha"]

    def forward(self, x):
        h = self.stem(x)
        for edge, a in zip(self.edges, F.softmax(self.alpha, dim=-1)):
            h = edge(h, a)
        return self.head(h)


def make(n):
    x = torch.randn(n, 6)
    score = torch.stack([torch.sin(3 * x[:, 0]) + x[:, 1], torch.cos(3 * x[:, 0]) - x[:, 2],
                         x[:, 3] * x[:, 4], -x[:, 1] + 0.5 * x[:, 5]], dim=1)
    return x, score.argmax(1)


x_tr, y_tr = make(2000)
x_val, y_val = make(2000)
net = SuperNet()
w_opt = torch.optim.SGD(net.weight_parameters(), lr=0.1, momentum=0.9, weight_decay=3e-4)
a_opt = torch.optim.Adam([net.alpha], lr=3e-3, betas=(0.5, 0.999), weight_decay=1e-3)


@torch.no_grad()
def val_acc():
    net.eval()
    acc = (net(x_val).argmax(1) == y_val).float().mean().item()
    net.train()
    return acc


print(f"majority {torch.bincount(y_val).max().item() / len(y_val):.3f}; start val acc {val_acc():.3f}")
for step in range(300):
    i = torch.randint(0, 2000, (64,))
    j = torch.randint(0, 2000, (64,))
    # architecture step on a validation batch (first-order DARTS)
    a_opt.zero_grad()
    F.cross_entropy(net(x_val[j]), y_val[j]).backward()
    a_opt.step()
    # weight step on a training batch
    w_opt.zero_grad()
    loss = F.cross_entropy(net(x_tr[i]), y_tr[i])
    loss.backward()
    nn.utils.clip_grad_norm_(net.weight_parameters(), 5.0)
    w_opt.step()
    if step % 75 == 0:
        print(f"step {step} train loss {loss.item():.3f} val acc {val_acc():.3f}")

chosen = [OPS[k] for k in net.alpha.argmax(1).tolist()]
print("alpha softmax per edge:", [[round(v, 2) for v in row] for row in F.softmax(net.alpha, -1).tolist()])
print(f"FINAL supernet val acc {val_acc():.3f} (majority "
      f"{torch.bincount(y_val).max().item() / len(y_val):.3f}); derived cell {chosen}")
