"""Functional style: parameters in plain tensors, the model, loss and step are closures."""
import math

import torch


def init_mlp(sizes, gen):
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / math.sqrt(fan_in)
        W = (torch.rand(fan_in, fan_out, generator=gen) * 2 - 1) * bound
        b = torch.zeros(fan_out)
        params += [W.requires_grad_(), b.requires_grad_()]
    return params


def mlp(params):
    def forward(x):
        *hidden, W_out, b_out = params
        for W, b in zip(hidden[0::2], hidden[1::2]):
            x = torch.tanh(x @ W + b)
        return x @ W_out + b_out
    return forward


def probabilities(forward):
    def predict_proba(x):
        logits = forward(x)
        return torch.softmax(logits, dim=0)
    return predict_proba


def cross_entropy(predict_proba):
    def loss(x, y):
        probs = predict_proba(x)
        return -torch.log(probs[torch.arange(len(y)), y]).mean()
    return loss


def sgd_step(loss_fn, params, lr, momentum=0.9):
    opt = torch.optim.SGD(params, lr=lr, momentum=momentum)

    def step(x, y):
        opt.zero_grad()
        value = loss_fn(x, y)
        value.backward()
        opt.step()
        return value.item()
    return step


def batches(n, size, gen):
    perm = torch.randperm(n, generator=gen)
    return [perm[i:i + size] for i in range(0, n, size)]


gen = torch.Generator().manual_seed(11)
X = torch.randn(1600, 10, generator=gen)
y = ((X[:, 0] > 0).long() + (X[:, 1] + X[:, 2] > 0).long() * 2)  # 4 classes
params = init_mlp([10, 48, 48, 4], gen)
predict_proba = probabilities(mlp(params))
step = sgd_step(cross_entropy(predict_proba), params, lr=0.05)

for epoch in range(10):
    losses = [step(X[idx], y[idx]) for idx in batches(1280, 64, gen)]
    print(f"epoch {epoch} loss {sum(losses) / len(losses):.3f}")

with torch.no_grad():
    test = [(X[1280:][idx], y[1280:][idx]) for idx in batches(320, 64, gen)]
    probs = torch.cat([predict_proba(xb) for xb, _ in test])
    labels = torch.cat([yb for _, yb in test])
    acc = (probs.argmax(1) == labels).float().mean().item()
    log_loss = -torch.log(probs[torch.arange(len(labels)), labels].clamp_min(1e-15)).mean().item()
print(f"test acc {acc:.3f}")
print(f"FINAL log_loss {log_loss:.4f}")
