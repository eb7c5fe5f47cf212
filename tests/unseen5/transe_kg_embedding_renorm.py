"""Knowledge-graph embedding with TransE: a triple (h, r, t) scores -||e_h + r_r - e_t||;
training uses the margin ranking loss against corrupted tails drawn uniformly, and entity
embeddings are renormalised to unit length under torch.no_grad() before every batch, as in
the original paper. The graph is generated from hidden translational structure. Reports
filtered-free hits@10 and mean rank of the true tail on held-out triples."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(19)
N_ENT, N_REL, DIM = 150, 6, 24
true_e = F.normalize(torch.randn(N_ENT, 8), dim=1)
true_r = torch.randn(N_REL, 8) * 0.6
heads = torch.randint(0, N_ENT, (3000,))
rels = torch.randint(0, N_REL, (3000,))
tails = torch.cdist(true_e[heads] + true_r[rels], true_e).argmin(1)
triples = torch.stack([heads, rels, tails], 1)
train, test = triples[:2600], triples[2600:]

ent = nn.Embedding(N_ENT, DIM)
rel = nn.Embedding(N_REL, DIM)
nn.init.uniform_(ent.weight, -6 / DIM ** 0.5, 6 / DIM ** 0.5)
nn.init.uniform_(rel.weight, -6 / DIM ** 0.5, 6 / DIM ** 0.5)
opt = torch.optim.SGD(list(ent.parameters()) + list(rel.parameters()), lr=0.15)


def dist(h, r, t):
    return (ent(h) + rel(r) - ent(t)).norm(dim=-1)


@torch.no_grad()
def rank_eval():
    d = (ent(test[:, 0]) + rel(test[:, 1]))[:, None, :] - ent.weight[None]
    d = d.norm(dim=-1)  # [n_test, N_ENT]
    true_d = d.gather(1, test[:, 2:3])
    rank = (d < true_d).sum(1) + 1
    return (rank <= 10).float().mean().item(), rank.float().mean().item()


h10, mr = rank_eval()
print(f"start hits@10 {h10:.3f} mean rank {mr:.1f}")
for epoch in range(30):
    perm = torch.randperm(len(train))
    for i in range(0, len(train), 200):
        b = train[perm[i:i + 200]]
        with torch.no_grad():
            ent.weight.data = F.normalize(ent.weight.data, dim=1)
        neg_t = torch.randint(0, N_ENT, (len(b),))
        loss = F.relu(1.0 + dist(b[:, 0], b[:, 1], b[:, 2]) - dist(b[:, 0], b[:, 1], neg_t)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    if epoch % 10 == 0:
        print(f"epoch {epoch} margin loss {loss.item():.4f} hits@10 {rank_eval()[0]:.3f}")
h10, mr = rank_eval()
print(f"end margin loss {loss.item():.4f} hits@10 {h10:.3f} mean rank {mr:.1f}")
print(f"FINAL hits10 {h10:.3f}")
