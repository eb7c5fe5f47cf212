"""OpenAI-style evolution strategies (Salimans et al. 2017) on a non-differentiable objective.

The objective is the accuracy of a small MLP on a minibatch (piecewise constant: its
gradient is zero almost everywhere, so backprop is useless). Each iteration draws 25
antithetic Gaussian perturbations of the flattened parameters, evaluates all 50 perturbed
networks at once with torch.func.functional_call + vmap, turns the fitnesses into centred
ranks, forms the ES gradient estimate, and writes its negative into p.grad so that a
standard torch.optim.Adam does the update (weight decay through Adam, as in the paper).
There is no backward pass anywhere: the gradients are estimated, not computed.
Metric: test accuracy on three curved angular sectors of the plane (chance 1/3).
"""
import torch
import torch.nn as nn
from torch.func import functional_call, vmap
from torch.nn.utils import parameters_to_vector

torch.manual_seed(9)
POP, SIGMA = 25, 0.1


def make(n):
    x = torch.rand(n, 2) * 4 - 2
    angle = torch.atan2(x[:, 1], x[:, 0]) + 0.3 * torch.sin(3 * x.norm(dim=1))
    y = ((angle + torch.pi) / (2 * torch.pi / 3)).long().clamp(0, 2)
    return x, y


x_tr, y_tr = make(3000)
x_te, y_te = make(1000)
policy = nn.Sequential(nn.Linear(2, 24), nn.Tanh(), nn.Linear(24, 24), nn.Tanh(), nn.Linear(24, 3))
names = [n for n, _ in policy.named_parameters()]
shapes = [p.shape for p in policy.parameters()]
sizes = [p.numel() for p in policy.parameters()]
opt = torch.optim.Adam(policy.parameters(), lr=0.03, weight_decay=0.0)


def unflatten(flat):
    return {n: t.view(s) for n, t, s in zip(names, flat.split(sizes), shapes)}


def accuracy_of(flat, x, y):
    logits = functional_call(policy, unflatten(flat), (x,))
    return (logits.argmax(1) == y).float().mean()


population_fitness = vmap(accuracy_of, in_dims=(0, None, None))


def centred_ranks(f):
    ranks = torch.empty_like(f)
    ranks[f.argsort()] = torch.arange(len(f), dtype=f.dtype)
    return ranks / (len(f) - 1) - 0.5


@torch.no_grad()
def test_accuracy():
    return (policy(x_te).argmax(1) == y_te).float().mean().item()


print(f"chance 0.333, majority {torch.bincount(y_te).max().item() / len(y_te):.3f}; "
      f"start test acc {test_accuracy():.3f}")
for it in range(180):
    with torch.no_grad():
        theta = parameters_to_vector(policy.parameters())
        idx = torch.randint(0, len(x_tr), (200,))
        eps = torch.randn(POP, theta.numel())
        eps = torch.cat([eps, -eps])
        fitness = population_fitness(theta + SIGMA * eps, x_tr[idx], y_tr[idx])
        weights = centred_ranks(fitness)
        grad_estimate = (weights @ eps) / (len(eps) * SIGMA)
    for p, g in zip(policy.parameters(), grad_estimate.split(sizes)):
        p.grad = -g.view_as(p)   # Adam minimises, ES maximises fitness
    opt.step()
    if it % 50 == 0:
        print(f"iter {it:3d} mean population fitness {fitness.mean().item():.3f} test acc {test_accuracy():.3f}")
print(f"FINAL test accuracy {test_accuracy():.3f} after 180 ES iterations (chance 0.333)")
