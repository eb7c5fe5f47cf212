"""Learning to rank with ListNet: each query has 20 candidate documents with graded
relevance 0-4; a shared MLP scores every (query, document) feature vector and the loss is the
cross-entropy between the top-one distributions softmax(relevance) and softmax(scores) taken
over each query's document list. Reports NDCG@5."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(17)
Q_TR, Q_TE, DOCS, D = 300, 100, 20, 16
w1, w2 = torch.randn(D), torch.randn(D)


def make(q):
    feats = torch.randn(q, DOCS, D)
    s = feats @ w1 / 4 + 0.5 * torch.relu(feats @ w2 / 4) + 0.2 * torch.randn(q, DOCS)
    ranks = s.argsort(1).argsort(1).float() / (DOCS - 1)  # per-query quantile
    rel = torch.clamp((ranks * 5).long(), max=4)
    return feats, rel


def ndcg_at(scores, rel, k=5):
    order = scores.argsort(1, descending=True)[:, :k]
    gains = (2 ** rel.gather(1, order).float() - 1)
    disc = 1 / torch.log2(torch.arange(k).float() + 2)
    ideal = (2 ** rel.sort(1, descending=True).values[:, :k].float() - 1)
    return ((gains * disc).sum(1) / (ideal * disc).sum(1)).mean().item()


f_tr, r_tr = make(Q_TR)
f_te, r_te = make(Q_TE)
scorer = nn.Sequential(nn.Linear(D, 64), nn.ReLU(), nn.Linear(64, 1))
opt = torch.optim.Adam(scorer.parameters(), lr=2e-3)
with torch.no_grad():
    print(f"start ndcg@5 {ndcg_at(scorer(f_te).squeeze(-1), r_te):.3f} (random {ndcg_at(torch.rand(Q_TE, DOCS), r_te):.3f})")
for epoch in range(40):
    perm = torch.randperm(Q_TR)
    for i in range(0, Q_TR, 30):
        q = perm[i:i + 30]
        scores = scorer(f_tr[q]).squeeze(-1)  # [queries, docs]
        target = F.softmax(r_tr[q].float(), dim=1)
        loss = -(target * F.log_softmax(scores, dim=1)).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    if epoch % 10 == 0:
        print(f"epoch {epoch} listnet loss {loss.item():.4f}")
with torch.no_grad():
    n = ndcg_at(scorer(f_te).squeeze(-1), r_te)
print(f"end listnet loss {loss.item():.4f} ndcg@5 {n:.3f}")
print(f"FINAL ndcg5 {n:.3f}")
