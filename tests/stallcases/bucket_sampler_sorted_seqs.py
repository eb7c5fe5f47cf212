# Variable-length token sequences with a length-bucketing batch sampler (less padding),
# an embedding + masked mean-pool classifier, and a padding collate function.
import random

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, Dataset, Sampler

random.seed(7)
torch.manual_seed(7)
VOCAB, PAD = 200, 0
TOPIC_TOKENS = [list(range(1, 21)), list(range(21, 41)), list(range(41, 61))]


def make_doc():
    topic = random.randrange(3)
    n = random.randint(5, 40)
    toks = [random.randrange(61, VOCAB) for _ in range(n)]
    for j in random.sample(range(n), k=max(2, n // 4)):
        toks[j] = random.choice(TOPIC_TOKENS[topic])
    return toks, topic


class LengthBucketDataset(Dataset):
    """Stores sequences sorted by length so that neighbouring indices have similar lengths."""

    def __init__(self, seqs, labels):
        order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
        self.seqs = [torch.tensor(seqs[i]) for i in order]
        self.labels = list(labels)

    def __len__(self):
        return len(self.seqs)

    def __getitem__(self, i):
        return self.seqs[i], self.labels[i]


class BucketBatchSampler(Sampler):
    def __init__(self, n, batch_size, shuffle=True):
        self.batches = [list(range(i, min(i + batch_size, n))) for i in range(0, n, batch_size)]
        self.shuffle = shuffle

    def __iter__(self):
        batches = self.batches[:]
        if self.shuffle:
            random.shuffle(batches)
        return iter(batches)

    def __len__(self):
        return len(self.batches)


def pad_collate(batch):
    seqs, labels = zip(*batch)
    return pad_sequence(seqs, batch_first=True, padding_value=PAD), torch.tensor(labels)


class MeanPoolClassifier(nn.Module):
    def __init__(self, dim=32, n_classes=3):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, dim, padding_idx=PAD)
        self.mlp = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, n_classes))

    def forward(self, x):
        mask = (x != PAD).unsqueeze(-1).float()
        pooled = (self.emb(x) * mask).sum(1) / mask.sum(1).clamp(min=1)
        return self.mlp(pooled)


docs = [make_doc() for _ in range(2000)]
train_ds = LengthBucketDataset([d for d, _ in docs[:1600]], [l for _, l in docs[:1600]])
val_ds = LengthBucketDataset([d for d, _ in docs[1600:]], [l for _, l in docs[1600:]])
train_dl = DataLoader(train_ds, batch_sampler=BucketBatchSampler(len(train_ds), 32), collate_fn=pad_collate)
val_dl = DataLoader(val_ds, batch_sampler=BucketBatchSampler(len(val_ds), 100, shuffle=False), collate_fn=pad_collate)

model = MeanPoolClassifier()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(4):
    model.train()
    for x, y in train_dl:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        correct = sum((model(x).argmax(1) == y).sum().item() for x, y in val_dl)
    acc = correct / len(val_ds)
    print(f"epoch {epoch} loss={loss.item():.3f} val_acc={acc:.3f}")
print(f"final val_acc={acc:.3f}")
