"""Knowledge-graph completion with DistMult (Yang et al. 2015), score(h, r, t) = <e_h, w_r, e_t>,
trained with negative sampling: every true triple is paired with 8 corrupted ones whose head
or tail is replaced by a random entity, and the logistic loss is taken with
binary_cross_entropy_with_logits on the concatenated scores (labels 1 for the positive column,
0 for the 8 negatives), plus an N3-style penalty on the embeddings used. The graph is
synthetic: 300 entities and 6 relations with symmetric ground-truth scores, where (h, r, t) holds when t is among the
5 entities that score highest with h under hidden ground-truth embeddings. Metric: filtered
mean reciprocal rank and hits@10 of the tail on held-out triples, against the MRR of a random
ranking.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(8)
E, R, D_TRUE, D = 300, 6, 6, 32
true_e = torch.randn(E, D_TRUE)
true_r = torch.randn(R, D_TRUE).abs() + 0.2
triples = []
for r in range(R):
    scores = (true_e * true_r[r]) @ true_e.t()
    scores.fill_diagonal_(-1e9)
    top = scores.topk(5, dim=1).indices
    for h in range(E):
        for t in top[h].tolist():
            triples.append((h, r, t))
triples = torch.tensor(triples)
triples = triples[torch.randperm(len(triples))]
n_test = len(triples) // 10
test, train = triples[:n_test], triples[n_test:]
known = set(map(tuple, triples.tolist()))


class DistMult(nn.Module):
    def __init__(self):
        super().__init__()
        self.ent = nn.Embedding(E, D)
        self.rel = nn.Embedding(R, D)
        nn.init.normal_(self.ent.weight, std=0.3)
        nn.init.normal_(self.rel.weight, std=0.3)

    def forward(self, h, r, t):
        return (self.ent(h) * self.rel(r) * self.ent(t)).sum(-1)

    def all_tails(self, h, r):
        return (self.ent(h) * self.rel(r)) @ self.ent.weight.t()


model = DistMult()
opt = torch.optim.Adagrad(model.parameters(), lr=0.1)
NEG = 8


@torch.no_grad()
def evaluate():
    scores = model.all_tails(test[:, 0], test[:, 1])
    rr, hits = [], []
    for i, (h, r, t) in enumerate(test.tolist()):
        s = scores[i].clone()
        for t2 in range(E):
            if t2 != t and (h, r, t2) in known:
                s[t2] = -1e9
        rank = (s > s[t]).sum().item() + 1
        rr.append(1.0 / rank)
        hits.append(rank <= 10)
    return sum(rr) / len(rr), sum(hits) / len(hits)


rand_mrr = sum(1.0 / k for k in range(1, E + 1)) / E
print(f"random ranking MRR {rand_mrr:.4f}; start MRR {evaluate()[0]:.4f}")
for epoch in range(30):
    perm = torch.randperm(len(train))
    for i in range(0, len(perm), 256):
        h, r, t = train[perm[i:i + 256]].unbind(1)
        n = len(h)
        corrupt_tail = torch.rand(n, NEG) < 0.5
        rand_ent = torch.randint(0, E, (n, NEG))
        nh = torch.where(corrupt_tail, h.unsqueeze(1), rand_ent)
        nt = torch.where(corrupt_tail, rand_ent, t.unsqueeze(1))
        pos = model(h, r, t).unsqueeze(1)
        neg = model(nh, r.unsqueeze(1).expand(-1, NEG), nt)
        logits = torch.cat([pos, neg], dim=1)
        labels = torch.cat([torch.ones(n, 1), torch.zeros(n, NEG)], dim=1)
        reg = (model.ent(h).abs() ** 3 + model.ent(t).abs() ** 3 + model.rel(r).abs() ** 3).sum(1).mean()
        loss = F.binary_cross_entropy_with_logits(logits, labels) + 1e-3 * reg
        opt.zero_grad()
        loss.backward()
        opt.step()
    if epoch % 5 == 4:
        mrr, h10 = evaluate()
        print(f"epoch {epoch} loss {loss.item():.4f} MRR {mrr:.4f} hits@10 {h10:.3f}")
mrr, h10 = evaluate()
print(f"FINAL test_mrr {mrr:.4f} hits@10 {h10:.3f} (random MRR {rand_mrr:.4f})")
