# Bag-of-tokens sentiment model (EmbeddingBag) on token-id lists kept as plain Python lists,
# with a collate function that builds offsets.
import random

import torch
import torch.nn as nn
from torch.utils.data import DataLoader

random.seed(5)
torch.manual_seed(5)

VOCAB = 300
POS, NEG = set(range(10, 40)), set(range(40, 70))


def fake_review():
    n = random.randint(6, 24)
    toks = [random.randrange(70, VOCAB) for _ in range(n)]
    mood = random.random() < 0.5
    pool = list(POS if mood else NEG)
    for _ in range(random.randint(2, 4)):
        toks[random.randrange(n)] = random.choice(pool)
    return toks, int(mood)


data = [fake_review() for _ in range(2400)]
texts = [t for t, _ in data]
labels = [l for _, l in data]

# shuffle before the split: the raw file is grouped by source
pairs = list(zip(texts, labels))
random.shuffle(pairs)
texts, labels = map(list, zip(*pairs))
split = 2000
train = list(zip(texts[:split], labels[:split]))
val = list(zip(texts[split:], labels[split:]))


def collate(batch):
    toks = [torch.tensor(t) for t, _ in batch]
    offsets = torch.tensor([0] + [len(t) for t in toks[:-1]]).cumsum(0)
    return torch.cat(toks), offsets, torch.tensor([l for _, l in batch], dtype=torch.float32)


class BagModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.EmbeddingBag(VOCAB, 32, mode="mean")
        self.out = nn.Linear(32, 1)

    def forward(self, toks, offsets):
        return self.out(self.emb(toks, offsets)).squeeze(-1)


model = BagModel()
opt = torch.optim.Adam(model.parameters(), lr=5e-3)
crit = nn.BCEWithLogitsLoss()
train_dl = DataLoader(train, batch_size=32, shuffle=True, collate_fn=collate)
val_dl = DataLoader(val, batch_size=400, collate_fn=collate)

for epoch in range(3):
    for toks, offs, y in train_dl:
        opt.zero_grad()
        loss = crit(model(toks, offs), y)
        loss.backward()
        opt.step()
    with torch.no_grad():
        toks, offs, y = next(iter(val_dl))
        acc = ((model(toks, offs) > 0).float() == y).float().mean().item()
    print(f"epoch {epoch}: loss={loss.item():.3f} val_acc={acc:.3f}")
print(f"final val_acc={acc:.3f}")
