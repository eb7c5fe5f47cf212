"""Implicit-feedback recommendation with Bayesian Personalised Ranking: user and item
embeddings plus an item bias; each training triple (user, clicked item, random unclicked
item) is pushed apart with -logsigmoid(s_pos - s_neg); L2 regularisation on the embeddings
used in the batch. Reports AUC on held-out clicks (one per user, leave-one-out)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(37)
U, I, F_TRUE, F_MODEL = 300, 400, 6, 16
pu, qi = torch.randn(U, F_TRUE), torch.randn(I, F_TRUE)
popularity = torch.randn(I) * 0.5
affinity = pu @ qi.t() + popularity
clicked = affinity > affinity.quantile(0.93, dim=1, keepdim=True)  # ~28 clicks per user
held_out = torch.stack([torch.multinomial(row.float(), 1).squeeze() for row in clicked])
train_mask = clicked.clone()
train_mask[torch.arange(U), held_out] = False
pairs = train_mask.nonzero()
print(f"{len(pairs)} training clicks, {U} users, {I} items")


class BPR(nn.Module):
    def __init__(self):
        super().__init__()
        self.user = nn.Embedding(U, F_MODEL)
        self.item = nn.Embedding(I, F_MODEL)
        self.item_bias = nn.Embedding(I, 1)
        for e in (self.user, self.item):
            nn.init.normal_(e.weight, std=0.1)
        nn.init.zeros_(self.item_bias.weight)

    def score(self, u, i):
        return (self.user(u) * self.item(i)).sum(-1) + self.item_bias(i).squeeze(-1)


model = BPR()
opt = torch.optim.Adam(model.parameters(), lr=5e-3)


@torch.no_grad()
def auc():
    scores = model.user.weight @ model.item.weight.t() + model.item_bias.weight.t()
    pos = scores[torch.arange(U), held_out]
    neg_mask = ~clicked
    return ((scores < pos[:, None]) & neg_mask).sum().item() / neg_mask.sum().item()


print(f"start held-out auc {auc():.3f}")
for epoch in range(15):
    perm = torch.randperm(len(pairs))
    for i in range(0, len(pairs), 512):
        b = pairs[perm[i:i + 512]]
        u, pos = b[:, 0], b[:, 1]
        neg = torch.randint(0, I, (len(b),))
        diff = model.score(u, pos) - model.score(u, neg)
        reg = 1e-4 * (model.user(u).pow(2).sum() + model.item(pos).pow(2).sum() + model.item(neg).pow(2).sum()) / len(b)
        loss = -F.logsigmoid(diff).mean() + reg
        opt.zero_grad()
        loss.backward()
        opt.step()
    if epoch % 4 == 0:
        print(f"epoch {epoch} bpr loss {loss.item():.4f} auc {auc():.3f}")
a = auc()
print(f"end bpr loss {loss.item():.4f} held-out auc {a:.3f}")
print(f"FINAL auc {a:.3f}")
