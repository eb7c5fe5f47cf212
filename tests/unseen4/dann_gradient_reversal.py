"""Domain-adversarial training (DANN): a custom autograd Function reverses and scales the
gradient into the feature extractor; the label head trains on the labelled source domain,
the domain head on source + unlabelled target (its loss should rise towards log 2 as the
features become domain-invariant); lambda ramps up with the usual 2/(1+exp(-10p)) - 1."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(14)
N, D, C = 2000, 10, 3
W = torch.randn(D, C)


def domain(n, shift, scale):
    x = torch.randn(n, D)
    y = (x @ W).argmax(1)
    return x * scale + shift, y


xs, ys = domain(N, torch.zeros(D), 1.0)
shift = torch.zeros(D); shift[:4] = 2.5
xt, yt = domain(N, shift, torch.ones(D) * 1.3)


class GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lam):
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return -ctx.lam * g, None


features = nn.Sequential(nn.Linear(D, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
label_head = nn.Linear(64, C)
domain_head = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
opt = torch.optim.SGD([*features.parameters(), *label_head.parameters(), *domain_head.parameters()], lr=0.02, momentum=0.9)


def target_acc():
    with torch.no_grad():
        return (label_head(features(xt)).argmax(1) == yt).float().mean().item()


print(f"start target acc {target_acc():.3f}")
STEPS = 800
for step in range(STEPS):
    p = step / STEPS
    lam = 2 / (1 + math.exp(-10 * p)) - 1
    bs = torch.randint(0, N, (64,))
    bt = torch.randint(0, N, (64,))
    fs, ft = features(xs[bs]), features(xt[bt])
    cls_loss = F.cross_entropy(label_head(fs), ys[bs])
    dom_logits = domain_head(GradReverse.apply(torch.cat([fs, ft]), lam)).squeeze(1)
    dom_labels = torch.cat([torch.zeros(64), torch.ones(64)])
    dom_loss = F.binary_cross_entropy_with_logits(dom_logits, dom_labels)
    loss = cls_loss + dom_loss
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step == 0:
        print(f"start cls {cls_loss.item():.3f} dom {dom_loss.item():.3f}")
print(f"end cls {cls_loss.item():.3f} dom {dom_loss.item():.3f}")
acc = target_acc()
with torch.no_grad():
    src = (label_head(features(xs)).argmax(1) == ys).float().mean().item()
print(f"FINAL source_acc {src:.3f} target_acc {acc:.3f}")
