"""Fixed twin of pruned_mlp_finetune_stale_optimizer.py: a new optimizer is built over the
pruned model's parameters before fine-tuning, as the maintainer suggests.

Structured pruning then fine-tuning: a classifier is trained, then each hidden layer is
physically shrunk to the tenth of its units with the largest L2 weight norm (new, smaller
nn.Linear modules with the kept rows and columns copied in, like a "speedup" pass), and the
pruned network is fine-tuned to recover accuracy. The fine-tuning loop keeps using the
optimizer that was created for the model before the layers were replaced.

Thread: https://github.com/microsoft/nni/issues/4521
User saw: "The parameters are not updated when the pruned model is finetuned".
Cause (maintainer): speedup_model() replaces the layers with smaller ones, "so the parameters
  registered in the optimizer are outdated"; fix: re-initialise a new optimizer.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(67)
D, C = 20, 6
centers = torch.randn(C, D) * 1.5


def make(n):
    y = torch.randint(0, C, (n,))
    x = centers[y] + torch.randn(n, D)
    x = torch.tanh(x) + 0.3 * x ** 2 / 3
    return x, y


x_tr, y_tr = make(3000)
x_te, y_te = make(1000)


class MLP(nn.Module):
    def __init__(self, h1=128, h2=128):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(D, h1), nn.Linear(h1, h2), nn.Linear(h2, C)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def accuracy(model):
    with torch.no_grad():
        return (model(x_te).argmax(1) == y_te).float().mean().item()


def train(model, optimizer, epochs, tag):
    for epoch in range(epochs):
        perm = torch.randperm(len(x_tr))
        for i in range(0, len(x_tr), 100):
            b = perm[i:i + 100]
            loss = F.cross_entropy(model(x_tr[b]), y_tr[b])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"{tag} epoch {epoch} loss {loss.item():.4f} test acc {accuracy(model):.3f}")


def shrink(linear, keep_out=None, keep_in=None):
    w, b = linear.weight.data, linear.bias.data
    if keep_out is not None:
        w, b = w[keep_out], b[keep_out]
    if keep_in is not None:
        w = w[:, keep_in]
    new = nn.Linear(w.shape[1], w.shape[0])
    new.weight.data.copy_(w)
    new.bias.data.copy_(b)
    return new


def speedup(model, ratio=0.1):
    """Keep the top `ratio` of units of each hidden layer, replacing the modules in place."""
    k1 = model.fc1.weight.norm(dim=1).argsort(descending=True)[: int(ratio * model.fc1.out_features)]
    k2 = model.fc2.weight.norm(dim=1).argsort(descending=True)[: int(ratio * model.fc2.out_features)]
    model.fc1 = shrink(model.fc1, keep_out=k1)
    model.fc2 = shrink(model.fc2, keep_out=k2, keep_in=k1)
    model.fc3 = shrink(model.fc3, keep_in=k2)


model = MLP()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
print(f"start test acc {accuracy(model):.3f}")
train(model, optimizer, 3, "pretrain")
speedup(model)
n_params = sum(p.numel() for p in model.parameters())
print(f"after pruning: {n_params} parameters, test acc {accuracy(model):.3f}")
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)  # over the new layers
train(model, optimizer, 6, "finetune")
acc = accuracy(model)
print(f"end pruned+finetuned test acc {acc:.3f}")
print(f"FINAL test_acc {acc:.3f}")
