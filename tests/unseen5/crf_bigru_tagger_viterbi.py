"""Sequence tagging with a linear-chain CRF on top of a bidirectional GRU: emissions from
the GRU, a learned transition matrix plus start/end scores, the negative log-likelihood from
the forward algorithm (logsumexp over the previous tag), and Viterbi decoding. The synthetic
tags follow a BIO chunk grammar that a per-token classifier cannot fully respect."""
import torch
import torch.nn as nn

torch.manual_seed(4)
VOCAB, TAGS, L = 30, 5, 14  # tags: O, B-X, I-X, B-Y, I-Y


def make(n):
    toks = torch.randint(0, VOCAB, (n, L))
    tags = torch.zeros(n, L, dtype=torch.long)
    for i in range(n):
        t = 0
        while t < L:
            w = toks[i, t].item()
            if w < 6 or (6 <= w < 12):
                kind = 1 if w < 6 else 3
                span = 1 + w % 3
                tags[i, t] = kind
                for j in range(1, span):
                    if t + j < L:
                        tags[i, t + j] = kind + 1
                t += span
            else:
                t += 1
    return toks, tags


class BiGRUCRF(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, 32)
        self.gru = nn.GRU(32, 32, batch_first=True, bidirectional=True)
        self.out = nn.Linear(64, TAGS)
        self.trans = nn.Parameter(torch.zeros(TAGS, TAGS))  # trans[i, j]: score of i -> j
        self.start = nn.Parameter(torch.zeros(TAGS))
        self.end = nn.Parameter(torch.zeros(TAGS))

    def emissions(self, toks):
        h, _ = self.gru(self.emb(toks))
        return self.out(h)

    def nll(self, toks, tags):
        e = self.emissions(toks)
        B = len(toks)
        ar = torch.arange(B)
        gold = self.start[tags[:, 0]] + e[ar, 0, tags[:, 0]]
        for t in range(1, L):
            gold = gold + self.trans[tags[:, t - 1], tags[:, t]] + e[ar, t, tags[:, t]]
        gold = gold + self.end[tags[:, -1]]
        alpha = self.start + e[:, 0]
        for t in range(1, L):
            alpha = torch.logsumexp(alpha[:, :, None] + self.trans[None] + e[:, t, None, :], dim=1)
        log_z = torch.logsumexp(alpha + self.end, dim=1)
        return (log_z - gold).mean()

    @torch.no_grad()
    def viterbi(self, toks):
        e = self.emissions(toks)
        score = self.start + e[:, 0]
        back = []
        for t in range(1, L):
            s = score[:, :, None] + self.trans[None]
            score, idx = s.max(1)
            score = score + e[:, t]
            back.append(idx)
        best = (score + self.end).argmax(1)
        path = [best]
        for idx in reversed(back):
            best = idx.gather(1, best[:, None]).squeeze(1)
            path.append(best)
        return torch.stack(path[::-1], 1)


x_tr, y_tr = make(800)
x_te, y_te = make(300)
model = BiGRUCRF()
opt = torch.optim.Adam(model.parameters(), lr=5e-3)
acc = lambda: (model.viterbi(x_te) == y_te).float().mean().item()
print(f"start token acc {acc():.3f} (all-O {(y_te == 0).float().mean().item():.3f})")
for epoch in range(5):
    perm = torch.randperm(len(x_tr))
    for i in range(0, len(x_tr), 64):
        idx = perm[i:i + 64]
        loss = model.nll(x_tr[idx], y_tr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch} nll {loss.item():.3f} token acc {acc():.3f}")
a = acc()
print(f"end viterbi token acc {a:.3f}")
print(f"FINAL token_acc {a:.3f}")
