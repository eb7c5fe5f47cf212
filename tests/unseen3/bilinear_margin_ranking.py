"""Query/item relevance scored by nn.Bilinear, trained with MarginRankingLoss on
(positive, negative) pairs; Adamax."""
import torch
import torch.nn as nn

torch.manual_seed(4)
Q, I, DQ, DI = 200, 300, 8, 10
queries = torch.randn(Q, DQ)
items = torch.randn(I, DI)
true_map = torch.randn(DQ, DI)
relevance = queries @ true_map @ items.T  # [Q, I]


class Scorer(nn.Module):
    def __init__(self):
        super().__init__()
        self.q = nn.Sequential(nn.Linear(DQ, 32), nn.Tanh())
        self.i = nn.Sequential(nn.Linear(DI, 32), nn.Tanh())
        self.bil = nn.Bilinear(32, 32, 1)

    def forward(self, q, it):
        return self.bil(self.q(q), self.i(it)).squeeze(-1)


model = Scorer()
rank_loss = nn.MarginRankingLoss(margin=0.5)
opt = torch.optim.Adamax(model.parameters(), lr=0.01)


def sample(b=128):
    qi = torch.randint(0, Q, (b,))
    a = torch.randint(0, I, (b,))
    c = torch.randint(0, I, (b,))
    sign = torch.sign(relevance[qi, a] - relevance[qi, c])
    return qi, a, c, sign


for step in range(200):
    qi, a, c, sign = sample()
    s_a = model(queries[qi], items[a])
    s_c = model(queries[qi], items[c])
    loss = rank_loss(s_a, s_c, sign)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step == 0:
        print(f"start loss {loss.item():.3f}")
print(f"end loss {loss.item():.3f}")
with torch.no_grad():
    qi, a, c, sign = sample(2000)
    agree = (torch.sign(model(queries[qi], items[a]) - model(queries[qi], items[c])) == sign).float().mean()
print(f"FINAL pair_acc {agree.item():.3f}")
