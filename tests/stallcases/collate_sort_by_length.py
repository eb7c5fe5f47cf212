# GRU sequence classifier with packed sequences: the collate function sorts each batch by length
# (descending) as pack_padded_sequence used to require.
import random

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence
from torch.utils.data import DataLoader

random.seed(14)
torch.manual_seed(14)
VOCAB = 50
UP, DOWN = 1, 2


def make_seq():
    n = random.randint(5, 15)
    toks = [random.randrange(3, VOCAB) for _ in range(n)]
    label = random.randrange(2)
    k = random.randint(2, 3)
    for j in random.sample(range(n), k):
        toks[j] = UP if label else DOWN
    return torch.tensor(toks), label


def collate(batch):
    seqs = sorted([s for s, _ in batch], key=len, reverse=True)
    labels = torch.tensor([l for _, l in batch], dtype=torch.float32)
    lengths = torch.tensor([len(s) for s in seqs])
    return pad_sequence(seqs, batch_first=True), lengths, labels


class GRUClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, 16, padding_idx=0)
        self.gru = nn.GRU(16, 32, batch_first=True)
        self.fc = nn.Linear(32, 1)

    def forward(self, x, lengths):
        packed = pack_padded_sequence(self.emb(x), lengths, batch_first=True)
        _, h = self.gru(packed)
        return self.fc(h[-1]).squeeze(-1)


train = [make_seq() for _ in range(1600)]
val = [make_seq() for _ in range(400)]
train_dl = DataLoader(train, batch_size=32, shuffle=True, collate_fn=collate)
val_dl = DataLoader(val, batch_size=400, collate_fn=collate)

model = GRUClassifier()
opt = torch.optim.Adam(model.parameters(), lr=5e-3)
for epoch in range(3):
    model.train()
    for x, lengths, y in train_dl:
        opt.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(model(x, lengths), y)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        x, lengths, y = next(iter(val_dl))
        acc = ((model(x, lengths) > 0).float() == y).float().mean().item()
    print(f"epoch {epoch} loss={loss.item():.3f} val_acc={acc:.3f}")
print(f"final val_acc={acc:.3f}")
