# Metric learning with nn.TripletMarginLoss and batch-hard mining: embeddings are
# L2-normalised, for each anchor the farthest positive and the closest negative in the batch
# are chosen. Batches come from a generator that yields P classes x K samples.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(33)
N_CLASSES, D = 10, 16
class_means = torch.randn(N_CLASSES, D)
nuisance = torch.randn(D, D) * 0.6


def sample(labels):
    z = torch.randn(len(labels), D)
    return class_means[labels] + z @ nuisance


def pk_batches(n_batches, P=5, K=4):
    for _ in range(n_batches):
        classes = torch.randperm(N_CLASSES)[:P]
        labels = classes.repeat_interleave(K)
        yield sample(labels), labels


embed = nn.Sequential(nn.Linear(D, 64), nn.ReLU(), nn.Linear(64, 8))
criterion = nn.TripletMarginLoss(margin=0.3)
opt = torch.optim.Adam(embed.parameters(), lr=3e-3)

val_labels = torch.arange(N_CLASSES).repeat_interleave(30)
val_x = sample(val_labels)


def val_triplet_loss():
    with torch.no_grad():
        e = F.normalize(embed(val_x), dim=1)
        d = torch.cdist(e, e)
        same = val_labels[:, None] == val_labels[None, :]
        pos = d.masked_fill(~same, 0).max(1).values
        neg = d.masked_fill(same, float("inf")).min(1).values
        return F.relu(pos - neg + 0.3).mean().item()


first = val_triplet_loss()
for x, labels in pk_batches(200):
    e = F.normalize(embed(x), dim=1)
    d = torch.cdist(e, e).detach()
    same = labels[:, None] == labels[None, :]
    hardest_pos = d.masked_fill(~same, -1).argmax(1)
    hardest_neg = d.masked_fill(same, float("inf")).argmin(1)
    loss = criterion(e, e[hardest_pos], e[hardest_neg])
    opt.zero_grad()
    loss.backward()
    opt.step()
final = val_triplet_loss()
checksum = sum(p.detach().double().sum().item() for p in embed.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
